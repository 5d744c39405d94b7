import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsServer } from './exchange.js';
import { DnsLookupError, describeDnsLookupError, resolveKmsHosts } from './resolver.js';
import { systemDnsServer } from './server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

type Reply = { rcode?: number; answers?: dnsPacket.Answer[]; additionals?: dnsPacket.Answer[] };

/** A real UDP DNS responder on loopback answering each question from `zone` (name + type -> reply). */
async function responder(zone: (name: string, type: string) => Reply): Promise<{ server: DnsServer; asked: string[] }> {
  const asked: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (m, from) => {
    const q = dnsPacket.decode(m);
    const question = q.questions![0]!;
    asked.push(`${question.name} ${question.type}`);
    const r = zone(question.name, question.type);
    const out = dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (r.rcode ?? 0),
      questions: q.questions,
      answers: r.answers ?? [],
      additionals: r.additionals ?? [],
    });
    socket.send(out, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return { server: { host: '127.0.0.1', port: socket.address().port }, asked };
}

const srv = (target: string, priority: number, weight: number, port: number): dnsPacket.Answer => ({
  name: '_vlmcs._tcp.kms.test',
  type: 'SRV',
  ttl: 300,
  data: { priority, weight, port, target },
});

async function lookupError(p: Promise<unknown>): Promise<DnsLookupError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DnsLookupError);
  return e as DnsLookupError;
}

describe('resolveKmsHosts against a UDP responder', () => {
  it('orders by priority, takes addresses from the additional section, asks A/AAAA for the others', async () => {
    const { server, asked } = await responder((name, type) => {
      if (type === 'SRV') {
        return {
          answers: [srv('KMS2.kms.test.', 10, 0, 1688), srv('kms1.kms.test', 0, 0, 11688)],
          additionals: [{ name: 'kms1.kms.test', type: 'A', ttl: 300, data: '192.0.2.1' }],
        };
      }
      if (name === 'kms2.kms.test' && type === 'AAAA') return { answers: [{ name, type: 'AAAA', ttl: 300, data: '2001:db8::2' }] };
      return {};
    });
    const hosts = await resolveKmsHosts('KMS.test.', { server });
    expect(hosts).toEqual([
      { target: 'kms1.kms.test', port: 11688, priority: 0, weight: 0, addresses: ['192.0.2.1'] },
      { target: 'kms2.kms.test', port: 1688, priority: 10, weight: 0, addresses: ['2001:db8::2'] },
    ]);
    expect(asked).toEqual(['_vlmcs._tcp.kms.test SRV', 'kms2.kms.test A', 'kms2.kms.test AAAA']);
  });

  it('uses the injected randomness inside one priority', async () => {
    const { server } = await responder((_n, type) => (type === 'SRV' ? { answers: [srv('a.kms.test', 0, 10, 1), srv('b.kms.test', 0, 90, 2)] } : {}));
    expect((await resolveKmsHosts('kms.test', { server, random: () => 0.99 })).map((h) => h.target)).toEqual(['b.kms.test', 'a.kms.test']);
    expect((await resolveKmsHosts('kms.test', { server, random: () => 0 })).map((h) => h.target)).toEqual(['a.kms.test', 'b.kms.test']);
  });

  it('maps NXDOMAIN, no records, REFUSED and SERVFAIL to typed errors with Windows HRESULTs', async () => {
    const cases: [number, Reply, string, number][] = [
      [0, { rcode: 3 }, 'name-not-found', 0x8007232b],
      [1, {}, 'no-records', 0x8007251d],
      [2, { answers: [srv('.', 0, 0, 0)] }, 'no-records', 0x8007251d],
      [3, { rcode: 5 }, 'refused', 0x8007232d],
      [4, { rcode: 2 }, 'server-failure', 0x8007232a],
    ];
    for (const [i, reply, kind, hresult] of cases) {
      const { server } = await responder(() => reply);
      const e = await lookupError(resolveKmsHosts('kms.test', { server }));
      expect([i, e.kind, e.hresult, e.qname]).toEqual([i, kind, hresult, '_vlmcs._tcp.kms.test']);
    }
    const { server } = await responder(() => ({ rcode: 3 }));
    const e = await lookupError(resolveKmsHosts('example.test', { server }));
    expect(describeDnsLookupError(e)).toBe('_vlmcs._tcp.example.test: name does not exist (0x8007232B)');
  });

  it('reports a server that does not answer as a timeout naming the server', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(() => resolve())));
    const server = { host: '127.0.0.1', port: silent.address().port };
    const e = await lookupError(resolveKmsHosts('kms.test', { server, timeoutMs: 100, udpTries: 2 }));
    expect(e.kind).toBe('timeout');
    expect(describeDnsLookupError(e)).toBe(`_vlmcs._tcp.kms.test: no answer from the DNS server 127.0.0.1:${server.port} (0x800705B4)`);
  });
});

describe('systemDnsServer', () => {
  it('reads the first nameserver of a resolv.conf, else the local machine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-resolv-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'resolv.conf');
    await writeFile(file, 'search example.test\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n');
    expect(await systemDnsServer(file)).toEqual({ server: { host: '192.0.2.53', port: 53 }, source: file });
    await writeFile(file, 'options edns0\n');
    expect(await systemDnsServer(file)).toEqual({ server: { host: '127.0.0.1', port: 53 }, source: `the local machine (no nameserver in ${file})` });
    expect(await systemDnsServer(join(dir, 'missing'))).toEqual({
      server: { host: '127.0.0.1', port: 53 },
      source: `the local machine (cannot read ${join(dir, 'missing')}: ENOENT)`,
    });
  });
});
