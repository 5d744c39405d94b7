import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { queryRecords, resolveKmsHosts, type DnsRecord } from '@kmsgrid/dns-client';
import type { EventStore } from '@kmsgrid/event-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsRegistrarConfig } from './config.js';
import { DNS_EVENT, dnsRegistrationStreamId, type DnsRegistrationEventData } from './events.js';
import { sendUpdate } from './net/update-client.js';
import { startDnsRegistrar, type DnsRegistrar, type DnsRegistrarDeps } from './registrar.js';
import { freeDualPort, startTestBind, type TestBind } from './testing/bind.js';
import { throwawayStore, waitFor } from './testing/store.js';

const FAST = { backoff: { initialMs: 100, maxMs: 400 }, exchange: { timeoutMs: 500, udpTries: 2 }, withdrawTimeoutMs: 5000 } as const;

let store: EventStore;
let closeStore: () => Promise<void>;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  ({ store, close: closeStore } = await throwawayStore());
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  await closeStore();
});

async function bind(opts: Parameters<typeof startTestBind>[0] = {}): Promise<TestBind> {
  const b = await startTestBind(opts);
  cleanups.push(() => b.stop());
  return b;
}

function config(b: Pick<TestBind, 'server' | 'key'>, over: Partial<DnsRegistrarConfig> = {}): DnsRegistrarConfig {
  return { domains: [{ domain: 'kms.test', priority: 0, weight: 0 }], server: b.server, key: b.key, target: 'kms1.kms.test', port: 1688, ttl: 600, addresses: [], refreshMs: 60_000, ...over };
}

function start(deps: Omit<DnsRegistrarDeps, 'store'>): DnsRegistrar {
  const r = startDnsRegistrar({ ...FAST, store, ...deps });
  cleanups.push(() => r.stop({ withdraw: false }));
  return r;
}

async function srvAt(b: TestBind, domain = 'kms.test'): Promise<string[]> {
  const r = await queryRecords(`_vlmcs._tcp.${domain}`, 'SRV', { server: b.server });
  return r.answers.flatMap((a) => (a.type === 'SRV' ? [`${a.ttl} ${a.data.priority} ${a.data.weight} ${a.data.port} ${a.data.target}`] : [])).sort();
}

async function events(domain = 'kms.test') {
  return (await store.readStream(dnsRegistrationStreamId(domain))).events.map((e) => ({ type: e.type, data: e.data as DnsRegistrationEventData }));
}

describe('dns-registrar against BIND 9 on loopback', () => {
  it('publishes, refreshes (restoring a deleted record) and withdraws its SRV record', async () => {
    const b = await bind();
    const r = start({ config: config(b) });
    await r.firstAttempts;
    expect(r.status().domains[0]).toMatchObject({ domain: 'kms.test', state: 'published', consecutiveFailures: 0, lastOutcome: { outcome: 'published', answer: { rcode: 'NOERROR', verified: true } } });
    expect(await srvAt(b)).toEqual(['600 0 0 1688 kms1.kms.test']);
    // Read back with BIND's own client too.
    const dig = execFileSync('dig', ['@127.0.0.1', '-p', String(b.port), '_vlmcs._tcp.kms.test', 'SRV', '+short'], { encoding: 'utf8' });
    expect(dig.trim()).toBe('0 0 1688 kms1.kms.test.');

    // Someone deletes it; the refresh puts it back.
    const record: DnsRecord = { name: '_vlmcs._tcp.kms.test', type: 'SRV', ttl: 0, data: { priority: 0, weight: 0, port: 1688, target: 'kms1.kms.test' } };
    expect((await sendUpdate(b.server, { zone: 'kms.test', prerequisites: [], updates: [{ kind: 'delete-record', record }] }, { key: b.key })).rcode).toBe('NOERROR');
    expect(await srvAt(b)).toEqual([]);
    await r.refreshNow();
    expect(await srvAt(b)).toEqual(['600 0 0 1688 kms1.kms.test']);

    await r.stop();
    expect(await srvAt(b)).toEqual([]);
    expect(r.status().domains[0]).toMatchObject({ state: 'withdrawn', lastOutcome: { outcome: 'withdrawn', operation: 'withdraw' } });
    const evs = await events();
    expect(evs.map((e) => e.type)).toEqual([DNS_EVENT.published, DNS_EVENT.refreshed, DNS_EVENT.withdrawn]);
    expect(evs[0]!.data).toMatchObject({ domain: 'kms.test', owner: 'kms1.kms.test', operation: 'publish', answer: { rcode: 'NOERROR', verified: true, transport: 'udp' }, attempt: 1 });
    expect(evs[0]!.data.records).toEqual([{ ...record, ttl: 600 }]);
  });

  it('refreshes on its own every refreshMs', async () => {
    const b = await bind();
    const r = start({ config: config(b, { refreshMs: 300 }) });
    await waitFor('two refreshes', async () => (await events()).filter((e) => e.type === DNS_EVENT.refreshed).length >= 2);
    expect(r.status().domains[0]!.nextAttemptAt).toBeDefined();
    expect(await srvAt(b)).toEqual(['600 0 0 1688 kms1.kms.test']);
  });

  it('shares a domain: two instances by priority and weight, a foreign record untouched, withdrawing one leaves the rest', async () => {
    const b = await bind();
    const foreign: DnsRecord = { name: '_vlmcs._tcp.kms.test', type: 'SRV', ttl: 600, data: { priority: 0, weight: 0, port: 1688, target: 'windows-kms.kms.test' } };
    await sendUpdate(b.server, { zone: 'kms.test', prerequisites: [], updates: [{ kind: 'add', record: foreign }] }, { key: b.key });
    const r1 = start({ config: config(b, { domains: [{ domain: 'kms.test', priority: 10, weight: 60 }] }) });
    const r2 = start({ config: config(b, { domains: [{ domain: 'kms.test', priority: 10, weight: 40 }], target: 'kms2.kms.test', port: 11688 }) });
    await Promise.all([r1.firstAttempts, r2.firstAttempts]);
    expect(await srvAt(b)).toEqual(['600 0 0 1688 windows-kms.kms.test', '600 10 40 11688 kms2.kms.test', '600 10 60 1688 kms1.kms.test']);
    // pick = floor(r * 101) = 50 lands on the weight-60 record whichever order the server lists them in.
    const hosts = await resolveKmsHosts('kms.test', { server: b.server, random: () => 50 / 101 });
    expect(hosts.map((h) => `${h.priority} ${h.target}:${h.port}`)).toEqual(['0 windows-kms.kms.test:1688', '10 kms1.kms.test:1688', '10 kms2.kms.test:11688']);

    await r1.stop();
    expect(await srvAt(b)).toEqual(['600 0 0 1688 windows-kms.kms.test', '600 10 40 11688 kms2.kms.test']);
    // Both instances wrote to the shared domain stream (expected-version appends, conflicts retried).
    expect((await events()).map((e) => `${e.type} ${e.data.owner}`).sort()).toEqual([
      `${DNS_EVENT.published} kms1.kms.test`,
      `${DNS_EVENT.published} kms2.kms.test`,
      `${DNS_EVENT.withdrawn} kms1.kms.test`,
    ]);
  });

  it('with a wrong secret: NOTAUTH/BADSIG recorded as an event, shown in the status, retried, never crashing', async () => {
    const b = await bind();
    const r = start({ config: config(b, { key: { ...b.key, secret: randomBytes(32) } }) });
    await r.firstAttempts;
    expect(r.status().domains[0]).toMatchObject({
      state: 'retrying',
      consecutiveFailures: 1,
      windowsEventId: 12293,
      lastOutcome: { outcome: 'refused', operation: 'publish', answer: { rcode: 'NOTAUTH', tsigError: 'BADSIG', verified: false } },
    });
    expect(r.status().domains[0]!.lastOutcome!.message).toMatch(/KMSGRID_DNS_TSIG must match/);
    expect(r.status().domains[0]!.nextAttemptAt).toBeDefined();
    await waitFor('a third attempt', () => r.status().domains[0]!.consecutiveFailures >= 3);
    const evs = await events();
    expect(evs.length).toBeGreaterThanOrEqual(3);
    expect(evs[0]).toMatchObject({ type: DNS_EVENT.refused, data: { answer: { rcode: 'NOTAUTH', tsigError: 'BADSIG' }, error: { kind: 'refused' }, attempt: 1 } });
    expect(evs[1]!.data.attempt).toBe(2);
    expect(await srvAt(b)).toEqual([]);
  });

  it('with an unknown key name: NOTAUTH/BADKEY; with a key the zone does not allow: REFUSED (verified)', async () => {
    const other = { name: 'other-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32) };
    const b = await bind({ keys: [{ name: 'kmsgrid-key', algorithm: 'hmac-sha256', secret: randomBytes(32) }, other], zones: [{ name: 'kms.test', updaters: ['kmsgrid-key'] }] });
    const unknown = start({ config: config(b, { key: { ...b.key, name: 'nobody' } }) });
    await unknown.firstAttempts;
    expect(unknown.status().domains[0]!.lastOutcome).toMatchObject({ outcome: 'refused', answer: { rcode: 'NOTAUTH', tsigError: 'BADKEY', verified: false } });
    await unknown.stop({ withdraw: false });
    const refused = start({ config: config(b, { key: other }) });
    await refused.firstAttempts;
    expect(refused.status().domains[0]!.lastOutcome).toMatchObject({ outcome: 'refused', answer: { rcode: 'REFUSED', verified: true } });
    expect(refused.status().domains[0]!.lastOutcome!.message).toMatch(/allow-update or update-policy/);
  });

  it('with BIND down at start: records the failures, then publishes once BIND is up', async () => {
    const port = await freeDualPort();
    const key = { name: 'kmsgrid-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32) };
    const r = start({ config: config({ server: { host: '127.0.0.1', port }, key }) });
    await r.firstAttempts;
    expect(r.status().domains[0]).toMatchObject({ state: 'retrying', consecutiveFailures: 1, lastOutcome: { outcome: 'failed' } });
    expect(r.status().domains[0]!.lastOutcome!.message).toMatch(/ECONNREFUSED/);
    const b = await bind({ port, keys: [key] });
    const types = await waitFor('the record published after a retry', async () => {
      const t = (await events()).map((e) => e.type);
      return t.at(-1) === DNS_EVENT.published && t;
    });
    expect(types[0]).toBe(DNS_EVENT.failed);
    expect(r.status().domains[0]).toMatchObject({ state: 'published', consecutiveFailures: 0 });
    expect(await srvAt(b)).toEqual(['600 0 0 1688 kms1.kms.test']);
  });

  it('records a timeout when nothing answers', async () => {
    const key = { name: 'kmsgrid-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32) };
    // A UDP socket that never answers.
    const { createSocket } = await import('node:dgram');
    const sink = createSocket('udp4');
    await new Promise<void>((res) => sink.bind(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => sink.close(() => res())));
    const r = start({ config: config({ server: { host: '127.0.0.1', port: (sink.address() as { port: number }).port }, key }), exchange: { timeoutMs: 100, udpTries: 2 } });
    await r.firstAttempts;
    expect(r.status().domains[0]!.lastOutcome).toMatchObject({ outcome: 'timed-out' });
    expect((await events())[0]).toMatchObject({ type: DNS_EVENT.timedOut, data: { error: { kind: 'timeout' } } });
  });

  it('publishes A/AAAA, cleans up its own records of an earlier setting, over TCP too', async () => {
    const b = await bind();
    const first = start({ config: config(b, { addresses: ['127.0.0.10', '::10'] }) });
    await first.firstAttempts;
    await first.stop({ withdraw: false });
    const second = start({ config: config(b, { domains: [{ domain: 'kms.test', priority: 5, weight: 1 }], addresses: ['127.0.0.10', '::10'] }), exchange: { transport: 'tcp', timeoutMs: 1000 } });
    await second.firstAttempts;
    expect(await srvAt(b)).toEqual(['600 5 1 1688 kms1.kms.test']);
    const hosts = await resolveKmsHosts('kms.test', { server: b.server });
    expect(hosts).toEqual([{ target: 'kms1.kms.test', port: 1688, priority: 5, weight: 1, addresses: ['127.0.0.10', '::10'] }]);
    const published = (await events()).at(-1)!;
    expect(published.data).toMatchObject({ answer: { transport: 'tcp' }, removed: [{ type: 'SRV', data: { priority: 0, weight: 0 } }] });
    await second.stop();
    expect(await srvAt(b)).toEqual([]);
    expect((await queryRecords('kms1.kms.test', 'A', { server: b.server })).answers).toEqual([]);
    expect((await queryRecords('kms1.kms.test', 'AAAA', { server: b.server })).answers).toEqual([]);
  });

  it('works with the least-privilege update-policy of the README (SRV at _vlmcs._tcp, A/AAAA of its own name)', async () => {
    const policy = 'grant kmsgrid-key name _vlmcs._tcp.kms.test. SRV; grant kmsgrid-key name kms1.kms.test. A AAAA;';
    const b = await bind({ zones: [{ name: 'kms.test', updatePolicy: policy }] });
    const r = start({ config: config(b, { addresses: ['127.0.0.10'] }) });
    await r.firstAttempts;
    expect(r.status().domains[0]!.lastOutcome).toMatchObject({ outcome: 'published' });
    // Another name is outside the grant: refused, nothing applied.
    const other = start({ config: config(b, { target: 'kms9.kms.test', addresses: ['127.0.0.19'] }) });
    await other.firstAttempts;
    expect(other.status().domains[0]!.lastOutcome).toMatchObject({ outcome: 'refused', answer: { rcode: 'REFUSED', verified: true } });
    expect(await srvAt(b)).toEqual(['600 0 0 1688 kms1.kms.test']);
    await r.stop();
    expect(await srvAt(b)).toEqual([]);
  });
});
