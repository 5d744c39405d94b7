import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsExchangeError, exchange } from './exchange.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const query = (id: number) => dnsPacket.encode({ type: 'query', id, questions: [{ type: 'SRV', name: '_vlmcs._tcp.kms.test' }] });
const answer = (q: Buffer, flags: number) => {
  const a = Buffer.from(q);
  a.writeUInt16BE(0x8000 | flags, 2);
  return a;
};

/** A UDP responder and a TCP responder on one port, both real sockets on loopback. */
async function servers(onUdp: (m: Buffer, reply: (b: Buffer) => void) => void, onTcp: (m: Buffer) => Buffer) {
  const tcp = createServer((s) => {
    let got = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        const out = onTcp(got.subarray(2, 2 + got.readUInt16BE(0)));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length, 0);
        // Split the framed answer across two writes, as TCP may.
        s.write(Buffer.concat([len, out]).subarray(0, 3));
        setTimeout(() => s.end(Buffer.concat([len, out]).subarray(3)), 10);
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const port = (tcp.address() as { port: number }).port;
  const udp = createSocket('udp4');
  udp.on('message', (m, rinfo) => onUdp(m, (b) => udp.send(b, rinfo.port, rinfo.address)));
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  cleanups.push(async () => {
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => tcp.close(() => r()));
  });
  return { host: '127.0.0.1', port };
}

describe('exchange', () => {
  it('skips answers with another id, and fetches a truncated answer again over TCP', async () => {
    const server = await servers(
      (m, reply) => {
        const stray = Buffer.from(answer(m, 0));
        stray.writeUInt16BE(m.readUInt16BE(0) ^ 1, 0);
        reply(stray);
        reply(answer(m, 0x0200)); // TC
      },
      (m) => answer(m, 0x0400),
    );
    const r = await exchange(server, query(0x4242), { timeoutMs: 1000 });
    expect(r.transport).toBe('tcp');
    expect(r.response.readUInt16BE(0)).toBe(0x4242);
    expect(r.response.readUInt16BE(2) & 0x0400).toBe(0x0400);
  });

  it('retransmits over UDP and then times out with a typed error', async () => {
    let seen = 0;
    const server = await servers(
      () => void seen++,
      (m) => m,
    );
    const err = await exchange(server, query(1), { timeoutMs: 100, udpTries: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsExchangeError);
    expect(err).toMatchObject({ kind: 'timeout', transport: 'udp' });
    expect(seen).toBe(3);
  });

  it('reports a refused TCP connection as a network error', async () => {
    const server = await servers(() => {}, (m) => m);
    await cleanups.pop()!();
    await expect(exchange(server, query(1), { transport: 'tcp', timeoutMs: 500 })).rejects.toMatchObject({ kind: 'network', transport: 'tcp' });
  });
});
