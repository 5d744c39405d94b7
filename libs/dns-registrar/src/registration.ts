import type { DnsRecord } from '@kmsgrid/dns-client';
import type { DnsDomainConfig, DnsRegistrarConfig } from './config.js';
import { addressDomain } from './config.js';
import { DNS_EVENT, type DnsRegistrationEventData } from './events.js';
import { recordKey } from './wire/records.js';
import type { UpdateOperation } from './wire/update-message.js';

/** SRV owner name of a domain (kms-facts §4). */
export const srvOwner = (domain: string): string => `_vlmcs._tcp.${domain}`;

/**
 * The records this instance publishes in one domain's zone:
 * `_vlmcs._tcp.<domain>. TTL IN SRV <priority> <weight> <port> <target>.`, plus
 * the target's A/AAAA when addresses are configured and this domain is the one
 * holding the target (see `addressDomain`).
 */
export function plannedRecords(config: DnsRegistrarConfig, d: DnsDomainConfig): DnsRecord[] {
  const srv: DnsRecord = { name: srvOwner(d.domain), type: 'SRV', ttl: config.ttl, data: { priority: d.priority, weight: d.weight, port: config.port, target: config.target } };
  if (config.addresses.length === 0 || addressDomain(config.target, config.domains) !== d.domain) return [srv];
  const addresses = config.addresses.map((a): DnsRecord => (a.includes(':') ? { name: config.target, type: 'AAAA', ttl: config.ttl, data: a } : { name: config.target, type: 'A', ttl: config.ttl, data: a }));
  return [srv, ...addresses];
}

/**
 * The update of a publish or refresh: delete this owner's earlier records that
 * are no longer wanted (exact rdata, class NONE), then add the wanted ones.
 * Re-adding a present record is harmless (RFC 2136 §3.4.2.2), so a refresh
 * also restores a record someone deleted. Nothing else is touched.
 */
export function publishOperations(wanted: readonly DnsRecord[], owned: readonly DnsRecord[]): { updates: UpdateOperation[]; removed: DnsRecord[] } {
  const wantedKeys = new Set(wanted.map(recordKey));
  const removed = owned.filter((o) => !wantedKeys.has(recordKey(o)));
  return {
    updates: [...removed.map((record): UpdateOperation => ({ kind: 'delete-record', record })), ...wanted.map((record): UpdateOperation => ({ kind: 'add', record }))],
    removed,
  };
}

/** The update of a withdrawal: delete exactly the records this owner may have in the zone. */
export function withdrawOperations(wanted: readonly DnsRecord[], owned: readonly DnsRecord[]): { updates: UpdateOperation[]; records: DnsRecord[] } {
  const records = unionRecords(wanted, owned);
  return { updates: records.map((record) => ({ kind: 'delete-record', record })), records };
}

/** Records of `a` then those of `b` not in `a` (by identity, TTL ignored). */
export function unionRecords(a: readonly DnsRecord[], b: readonly DnsRecord[]): DnsRecord[] {
  const keys = new Set(a.map(recordKey));
  return [...a, ...b.filter((r) => !keys.has(recordKey(r)))];
}

/** What one owner may have in the zone, folded from its domain's events. */
export type Ownership = Readonly<{ owned: readonly DnsRecord[] }>;

export const initialOwnership = (): Ownership => ({ owned: [] });

/**
 * Folds one event into the records `owner` may have in the zone. A success
 * sets them; a refusal changes nothing (an UPDATE is all or nothing, RFC 2136
 * §3.7); a publish without an answer (timeout, unverified) may have been
 * applied, so its records count as owned until a later success or withdrawal.
 */
export function evolveOwnership(owner: string, state: Ownership, event: Readonly<{ type: string; data: unknown }>): Ownership {
  const data = event.data as DnsRegistrationEventData;
  if (data === null || typeof data !== 'object' || data.owner !== owner || !Array.isArray(data.records)) return state;
  switch (event.type) {
    case DNS_EVENT.published:
    case DNS_EVENT.refreshed:
      return { owned: data.records };
    case DNS_EVENT.withdrawn:
      return { owned: [] };
    case DNS_EVENT.timedOut:
    case DNS_EVENT.failed:
      return data.operation === 'withdraw' ? state : { owned: unionRecords(state.owned, data.records) };
    default:
      return state;
  }
}
