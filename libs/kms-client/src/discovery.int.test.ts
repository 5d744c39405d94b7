import { createSocket, type Socket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DnsServer } from '@kmsgrid/dns-client';
import { afterEach, describe, expect, it } from 'vitest';
import { activate } from './client.js';
import type { DiscoveryEvent } from './discovery.js';
import { startTestHost } from './testing/test-host.js';

// The discovery test against a real BIND (publishing with RFC 2136) lives in
// libs/dns-registrar (scope:dns); this one answers DNS from a small UDP responder.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real UDP DNS responder on loopback: `records` answers SRV at its owner and A at each target. */
async function dnsResponder(records: dnsPacket.Answer[], rcode = 0): Promise<DnsServer & { queries: () => number }> {
  let queries = 0;
  const socket: Socket = createSocket('udp4');
  socket.on('message', (m, from) => {
    queries++;
    const q = dnsPacket.decode(m);
    const question = q.questions![0]!;
    const answers = records.filter((r) => r.name === question.name && r.type === question.type);
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | (rcode !== 0 ? rcode : answers.length === 0 && question.type === 'SRV' ? 3 : 0);
    socket.send(dnsPacket.encode({ type: 'response', id: q.id, flags, questions: q.questions, answers }), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return { host: '127.0.0.1', port: socket.address().port, queries: () => queries };
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const srv = (target: string, priority: number, port: number): dnsPacket.Answer => ({ name: '_vlmcs._tcp.kms.test', type: 'SRV', ttl: 60, data: { priority, weight: 0, port, target } });
const a = (name: string): dnsPacket.Answer => ({ name, type: 'A', ttl: 60, data: '127.0.0.1' });

describe('activate({ discover })', () => {
  it('tries the hosts in RFC 2782 order and falls back past one that refuses the connection', async () => {
    const live = await startTestHost();
    cleanups.push(() => live.close());
    const dead = await deadPort();
    const server = await dnsResponder([srv('live.kms.test', 10, live.port), srv('dead.kms.test', 0, dead), a('live.kms.test'), a('dead.kms.test')]);
    const events: DiscoveryEvent[] = [];
    const r = await activate({ discover: { domain: 'KMS.test.', server }, timeoutMs: 3000, onDiscovery: (e) => events.push(e) });
    expect(r.failure).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.target).toBe(`live.kms.test:${live.port}`);
    expect(r.discovery).toMatchObject({
      domain: 'KMS.test.',
      name: '_vlmcs._tcp.kms.test',
      server: `127.0.0.1:${server.port}`,
      serverFrom: 'given',
      hosts: [
        { target: 'dead.kms.test', port: dead, priority: 0, addresses: ['127.0.0.1'] },
        { target: 'live.kms.test', port: live.port, priority: 10, addresses: ['127.0.0.1'] },
      ],
      attempts: [
        { target: `dead.kms.test:${dead}`, address: '127.0.0.1', failure: { kind: 'refused' } },
        { target: `live.kms.test:${live.port}`, address: '127.0.0.1' },
      ],
      answeredBy: `live.kms.test:${live.port}`,
    });
    expect(r.discovery!.attempts[1]!.failure).toBeUndefined();
    expect(events.map((e) => (e.kind === 'resolved' ? `resolved ${e.discovery.hosts.length}` : `trying ${e.index}/${e.of} ${e.host.target}`))).toEqual([
      'resolved 2',
      'trying 1/2 dead.kms.test',
      'trying 2/2 live.kms.test',
    ]);
    expect(live.requests).toHaveLength(1);
  });

  it('exits 3 naming the last host when none can be connected to', async () => {
    const [p1, p2] = [await deadPort(), await deadPort()];
    const server = await dnsResponder([srv('one.kms.test', 0, p1), srv('two.kms.test', 5, p2), a('one.kms.test'), a('two.kms.test')]);
    const r = await activate({ discover: { domain: 'kms.test', server }, timeoutMs: 3000 });
    expect(r.exitCode).toBe(3);
    expect(r.target).toBe('_vlmcs._tcp.kms.test');
    expect(r.failure).toEqual({
      kind: 'refused',
      message: `none of the 2 KMS hosts of _vlmcs._tcp.kms.test could be connected to (last: two.kms.test:${p2}: connect: connection refused (ECONNREFUSED))`,
    });
    expect(r.discovery!.attempts.map((t) => t.failure?.kind)).toEqual(['refused', 'refused']);
    expect(r.discovery!.answeredBy).toBeUndefined();
  });

  it('a DNS failure exits 3 with the DNS error and its HRESULT', async () => {
    const server = await dnsResponder([]);
    const r = await activate({ discover: { domain: 'example.test', server } });
    expect(r).toMatchObject({ ok: false, exitCode: 3, target: '_vlmcs._tcp.example.test', connections: [], failures: 1 });
    expect(r.failure).toEqual({ kind: 'dns', message: 'DNS: _vlmcs._tcp.example.test: name does not exist (0x8007232B)', hresult: 0x8007232b });
    expect(r.discovery).toMatchObject({ hosts: [], attempts: [], server: `127.0.0.1:${server.port}` });

    const refusing = await dnsResponder([], 5);
    const refused = await activate({ discover: { domain: 'kms.test', server: refusing } });
    expect(refused.failure?.message).toBe('DNS: _vlmcs._tcp.kms.test: the DNS server refused the query (0x8007232D)');
  });

  it('usage errors come before any lookup (exit 2)', async () => {
    const server = await dnsResponder([]);
    const both = await activate({ target: '127.0.0.1:1688', discover: { domain: 'kms.test', server } });
    expect([both.exitCode, both.failure?.message]).toEqual([2, 'give either a target or discover, not both']);
    const badName = await activate({ discover: { domain: 'kms..test', server } });
    expect([badName.exitCode, badName.failure?.message]).toEqual([2, 'discover: "kms..test" is not a domain name: it has an empty label (two dots in a row)']);
    const product = await activate({ discover: { domain: 'kms.test', server }, product: 'Windows 10 Enterprize' });
    expect(product.exitCode).toBe(2);
    expect(product.suggestions).toContain('Windows 10 Enterprise');
    const nowhere = await activate({});
    expect([nowhere.exitCode, nowhere.failure?.message]).toEqual([2, 'no target: give a target (host:port) or discover (a DNS domain)']);
    expect(server.queries()).toBe(0);
  });
});
