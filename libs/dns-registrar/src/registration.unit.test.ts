import type { DnsRecord } from '@kmsgrid/dns-client';
import { describe, expect, it } from 'vitest';
import type { DnsRegistrarConfig } from './config.js';
import { DNS_EVENT, type DnsRegistrationEventData } from './events.js';
import { evolveOwnership, initialOwnership, plannedRecords, publishOperations, withdrawOperations, type Ownership } from './registration.js';

const config: DnsRegistrarConfig = {
  domains: [
    { domain: 'example.com', priority: 0, weight: 100 },
    { domain: 'lab.example.com', priority: 10, weight: 0 },
  ],
  server: { host: '127.0.0.1', port: 53 },
  key: { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.alloc(32) },
  target: 'kms1.lab.example.com',
  port: 1688,
  ttl: 3600,
  addresses: ['192.0.2.10', '2001:db8::10'],
  refreshMs: 86_400_000,
};
const srv = (priority: number, weight = 0, target = 'kms1.lab.example.com'): DnsRecord => ({ name: '_vlmcs._tcp.example.com', type: 'SRV', ttl: 3600, data: { priority, weight, port: 1688, target } });

describe('plannedRecords', () => {
  it('publishes SRV in every domain and the addresses only in the zone that holds the target', () => {
    expect(plannedRecords(config, config.domains[0]!)).toEqual([srv(0, 100)]);
    expect(plannedRecords(config, config.domains[1]!)).toEqual([
      { name: '_vlmcs._tcp.lab.example.com', type: 'SRV', ttl: 3600, data: { priority: 10, weight: 0, port: 1688, target: 'kms1.lab.example.com' } },
      { name: 'kms1.lab.example.com', type: 'A', ttl: 3600, data: '192.0.2.10' },
      { name: 'kms1.lab.example.com', type: 'AAAA', ttl: 3600, data: '2001:db8::10' },
    ]);
  });
});

describe('publish and withdraw operations', () => {
  it('adds what is wanted and deletes only this owner\'s stale records, exactly', () => {
    const { updates, removed } = publishOperations([srv(0, 100)], [srv(5, 5), srv(0, 100)]);
    expect(removed).toEqual([srv(5, 5)]);
    expect(updates).toEqual([
      { kind: 'delete-record', record: srv(5, 5) },
      { kind: 'add', record: srv(0, 100) },
    ]);
    expect(updates.some((u) => u.kind === 'delete-rrset' || u.kind === 'delete-name')).toBe(false);
  });

  it('withdraws the wanted and the owned records, each once', () => {
    const { updates } = withdrawOperations([srv(0, 100)], [{ ...srv(0, 100), ttl: 10 }, srv(7)]);
    expect(updates).toEqual([
      { kind: 'delete-record', record: srv(0, 100) },
      { kind: 'delete-record', record: srv(7) },
    ]);
  });
});

describe('evolveOwnership', () => {
  const data = (operation: DnsRegistrationEventData['operation'], records: DnsRecord[], owner = 'kms1.lab.example.com'): DnsRegistrationEventData => ({
    domain: 'example.com', zone: 'example.com', server: '127.0.0.1:53', owner, operation, records, removed: [], attempt: 1, durationMs: 1,
  });
  const fold = (events: { type: string; data: DnsRegistrationEventData }[]): Ownership => events.reduce((s, e) => evolveOwnership('kms1.lab.example.com', s, e), initialOwnership());

  it('given a publish then a withdrawal, owns nothing', () => {
    expect(fold([{ type: DNS_EVENT.published, data: data('publish', [srv(0)]) }, { type: DNS_EVENT.withdrawn, data: data('withdraw', [srv(0)]) }]).owned).toEqual([]);
  });

  it('given a timed-out publish, may own those records too; a refusal changes nothing', () => {
    const s = fold([
      { type: DNS_EVENT.published, data: data('publish', [srv(0)]) },
      { type: DNS_EVENT.timedOut, data: data('refresh', [srv(3)]) },
      { type: DNS_EVENT.refused, data: data('refresh', [srv(4)]) },
    ]);
    expect(s.owned).toEqual([srv(0), srv(3)]);
    expect(fold([{ type: DNS_EVENT.refreshed, data: data('refresh', [srv(9)]) }]).owned).toEqual([srv(9)]);
  });

  it("ignores other owners' events in the shared domain stream", () => {
    expect(fold([{ type: DNS_EVENT.published, data: data('publish', [srv(0, 0, 'kms2.example.com')], 'kms2.example.com') }]).owned).toEqual([]);
  });
});
