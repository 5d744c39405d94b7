import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import { rcodeName, type RcodeName } from '../wire/constants.js';
import { DnsWireError } from '../wire/errors.js';
import { canonicalName, type DnsRecord, type DnsRecordType } from '../wire/records.js';
import { orderSrvRecords } from '../srv-selection.js';
import { DnsExchangeError, exchange, type DnsServer, type ExchangeOptions } from './exchange.js';
import { formatDnsServer } from './server.js';

/** A KMS host found by DNS, in the order to try it. `addresses` may be empty (resolve `target` yourself). */
export type KmsHost = Readonly<{ target: string; port: number; priority: number; weight: number; addresses: readonly string[] }>;

export type DnsLookupErrorKind = 'name-not-found' | 'no-records' | 'server-failure' | 'refused' | 'timeout' | 'network' | 'malformed';

/** Win32 codes a Windows KMS client reports for the same failures (kms-facts §4; winerror.h). */
const HRESULT: Record<DnsLookupErrorKind, number> = {
  'name-not-found': 0x8007232b, // DNS_ERROR_RCODE_NAME_ERROR
  'no-records': 0x8007251d, // DNS_INFO_NO_RECORDS
  'server-failure': 0x8007232a, // DNS_ERROR_RCODE_SERVER_FAILURE
  refused: 0x8007232d, // DNS_ERROR_RCODE_REFUSED
  timeout: 0x800705b4, // ERROR_TIMEOUT
  network: 0x8007232a,
  malformed: 0x8007232a,
};

/** Short texts for {@link describeDnsLookupError}, after the Windows messages of the same codes. */
const SUMMARY: Record<DnsLookupErrorKind, string> = {
  'name-not-found': 'name does not exist',
  'no-records': 'no records found',
  'server-failure': 'DNS server failure',
  refused: 'the DNS server refused the query',
  timeout: 'no answer from the DNS server',
  network: 'cannot reach the DNS server',
  malformed: 'malformed answer from the DNS server',
};

/** A lookup that found nothing usable; `hresult` is what a Windows client would show. */
export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  readonly hresult: number;
  /** The name that was looked up, when known. */
  readonly qname: string | undefined;
  /** The server that was asked, when known. */
  readonly server: DnsServer | undefined;
  constructor(
    readonly kind: DnsLookupErrorKind,
    message: string,
    options?: { cause?: unknown; qname?: string; server?: DnsServer },
  ) {
    super(message, options);
    this.hresult = HRESULT[kind];
    this.qname = options?.qname;
    this.server = options?.server;
  }
}

/**
 * One line for a user: the name, a short reason (with the server when it did
 * not answer) and the HRESULT.
 *
 * @example describeDnsLookupError(e) // '_vlmcs._tcp.example.test: name does not exist (0x8007232B)'
 */
export function describeDnsLookupError(e: DnsLookupError): string {
  const at = e.server && (e.kind === 'timeout' || e.kind === 'network') ? ` ${formatDnsServer(e.server)}` : '';
  const hr = `0x${e.hresult.toString(16).toUpperCase().padStart(8, '0')}`;
  return `${e.qname ? `${e.qname}: ` : ''}${SUMMARY[e.kind]}${at} (${hr})`;
}

/** The owner of a domain's KMS SRV records (kms-facts §4): `_vlmcs._tcp.<domain>`. Throws DNS_BAD_ARGUMENT. */
export const kmsSrvName = (domain: string): string => `_vlmcs._tcp.${canonicalName(domain)}`;

/** What one query returned: RCODE and the SRV/A/AAAA records of the answer and additional sections. */
export type QueryResult = Readonly<{ rcode: RcodeName; answers: readonly DnsRecord[]; additionals: readonly DnsRecord[] }>;

/** Options of {@link queryRecords} and {@link resolveKmsHosts}. */
export type ResolveOptions = ExchangeOptions & Readonly<{ server: DnsServer }>;

function toRecords(list: readonly dnsPacket.Answer[] | undefined): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (const a of list ?? []) {
    const name = a.name.toLowerCase().replace(/\.$/, '');
    const ttl = 'ttl' in a ? (a.ttl ?? 0) : 0;
    if (a.type === 'SRV') out.push({ name, type: 'SRV', ttl, data: { priority: a.data.priority ?? 0, weight: a.data.weight ?? 0, port: a.data.port, target: a.data.target.toLowerCase().replace(/\.$/, '') } });
    else if (a.type === 'A' || a.type === 'AAAA') out.push({ name, type: a.type, ttl, data: a.data });
  }
  return out;
}

/**
 * One plain query (RD set, no TSIG) for `name`/`type` at `opts.server`.
 * Rejects with {@link DnsLookupError} only when nothing usable came back
 * (timeout, network, malformed answer); RCODEs are returned.
 *
 * @example const { answers } = await queryRecords('_vlmcs._tcp.kms.test', 'SRV', { server: { host: '127.0.0.1', port: 5353 } });
 */
export async function queryRecords(name: string, type: DnsRecordType, opts: ResolveOptions): Promise<QueryResult> {
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name: canonicalName(name), class: 'IN' }] });
  let response: Buffer;
  try {
    response = (await exchange(opts.server, query, opts)).response;
  } catch (e) {
    if (e instanceof DnsExchangeError) throw new DnsLookupError(e.kind, `${name} ${type}: ${e.message}`, { cause: e, qname: name, server: opts.server });
    throw e;
  }
  let packet: dnsPacket.DecodedPacket;
  try {
    if (response.length < 12) throw new DnsWireError('DNS_SHORT', 'answer shorter than a header', 0);
    packet = dnsPacket.decode(response);
  } catch (e) {
    throw new DnsLookupError('malformed', `${name} ${type}: the answer is malformed: ${(e as Error).message}`, { cause: e, qname: name, server: opts.server });
  }
  return { rcode: rcodeName(response.readUInt16BE(2) & 0xf), answers: toRecords(packet.answers), additionals: toRecords(packet.additionals) };
}

/**
 * Finds the KMS hosts of `domain`: the `_vlmcs._tcp.<domain>` SRV records,
 * ordered as RFC 2782 says (lowest priority, then weighted random), each
 * with the addresses of its target (from the additional section, else A and
 * AAAA queries to the same server). Rejects with {@link DnsLookupError}
 * (`name-not-found`, `no-records`, `server-failure`, `refused`, `timeout`, ...).
 *
 * @example const [first] = await resolveKmsHosts('kms.test', { server: { host: '127.0.0.1', port: 5353 } });
 */
export async function resolveKmsHosts(domain: string, opts: ResolveOptions & Readonly<{ random?: () => number }>): Promise<KmsHost[]> {
  let owner: string;
  try {
    owner = kmsSrvName(domain);
  } catch (e) {
    throw new DnsLookupError('name-not-found', (e as Error).message, { cause: e, qname: `_vlmcs._tcp.${domain}` });
  }
  const where = { qname: owner, server: opts.server };
  const srv = await queryRecords(owner, 'SRV', opts);
  if (srv.rcode === 'NXDOMAIN') throw new DnsLookupError('name-not-found', `${owner} does not exist (NXDOMAIN from the DNS server)`, where);
  if (srv.rcode === 'REFUSED') throw new DnsLookupError('refused', `the DNS server refused the query for ${owner} (REFUSED)`, where);
  if (srv.rcode !== 'NOERROR') throw new DnsLookupError('server-failure', `the DNS server answered ${srv.rcode} for ${owner}`, where);
  const found = srv.answers.flatMap((r) => (r.type === 'SRV' && r.name === owner ? [{ ...r.data }] : []));
  const ordered = orderSrvRecords(found, opts.random);
  if (ordered.length === 0) throw new DnsLookupError('no-records', `no SRV records at ${owner}`, where);
  const hosts: KmsHost[] = [];
  for (const r of ordered) {
    let addresses = srv.additionals.filter((a) => a.name === r.target && (a.type === 'A' || a.type === 'AAAA')).map((a) => a.data as string);
    if (addresses.length === 0) addresses = await lookupAddresses(r.target, opts);
    hosts.push({ target: r.target, port: r.port, priority: r.priority, weight: r.weight, addresses });
  }
  return hosts;
}

async function lookupAddresses(target: string, opts: ResolveOptions): Promise<string[]> {
  const out: string[] = [];
  for (const type of ['A', 'AAAA'] as const) {
    try {
      const r = await queryRecords(target, type, opts);
      if (r.rcode === 'NOERROR') out.push(...r.answers.filter((a) => a.type === type && a.name === target).map((a) => a.data as string));
    } catch {
      // No address from this server: the caller falls back to the system resolver for `target`.
    }
  }
  return out;
}
