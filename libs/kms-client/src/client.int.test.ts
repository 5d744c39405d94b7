import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { activate, type ActivateOptions } from './client.js';
import type { Guid } from './protocol.js';
import { startTestHost, TEST_EPID, type TestHost, type TestHostOptions } from './testing/test-host.js';

let hosts: TestHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});
const host = async (opts: TestHostOptions = {}) => {
  const h = await startTestHost(opts);
  hosts.push(h);
  return h;
};
const run = (h: TestHost, opts: Omit<ActivateOptions, 'target'> = {}) => activate({ target: `127.0.0.1:${h.port}`, timeoutMs: 3000, ...opts });

/** A port that was free a moment ago: nothing listens there. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('activate against the test host', () => {
  it.each([
    ['Windows Server 2008 R2 Datacenter', 4, 160, 10],
    ['Office Professional Plus 2013', 5, 228, 10],
    ['Windows 10 Enterprise', 6, 260, 50],
  ] as const)('%s: KMS v%i, every check passes', async (product, version, size, count) => {
    const h = await host();
    const r = await run(h, { product });
    expect(r.exitCode).toBe(0);
    expect(r.ok).toBe(true);
    const q = r.connections[0]!.requests[0]!;
    expect(q.status).toBe('activated');
    expect(q.protocol).toBe(version);
    expect(q.response).toMatchObject({ majorVersion: version, size, epid: TEST_EPID, count, activationInterval: 120, renewalInterval: 10080 });
    expect(q.response!.hwid).toBe(version === 6 ? '3A1C049600B60076' : undefined);
    expect(q.checks.every((c) => c.ok)).toBe(true);
    expect(q.checks.map((c) => c.name)).toContain(version === 4 ? 'mac' : 'hash');
    expect(h.requests[0]).toMatchObject({ majorVersion: version, cmid: q.request.cmid, workstationName: q.request.workstation });
    expect(r.target).toBe(`127.0.0.1:${h.port}`);
    expect(r.totals).toEqual({ planned: 1, sent: 1, activated: 1, failed: 0 });
  });

  it('sends the first request over NDR32 and later ones over NDR64, one CMID when fixed', async () => {
    const h = await host();
    const cmid = '6f0f6a3c-1111-4aaa-8bbb-000000000006' as Guid;
    const r = await run(h, { product: 'Windows 10 Enterprise', requests: 3, cmid });
    expect(r.exitCode).toBe(0);
    const c = r.connections[0]!;
    expect(c.negotiation).toMatchObject({ ndr32: true, ndr64: true, btfn: true, btfnFeatures: 3, alterContext: true, multiplex: true, secondaryAddress: String(h.port) });
    expect(c.checks.every((k) => k.ok)).toBe(true);
    expect(c.requests.map((q) => [q.syntax, q.callId, q.contextId])).toEqual([
      ['ndr32', 2, 0],
      ['ndr64', 3, 1],
      ['ndr64', 4, 1],
    ]);
    expect(h.requests.map((q) => q.cmid)).toEqual([cmid, cmid, cmid]);
    expect(h.connections()).toBe(1);
  });

  it.each([
    [{ ndr64: false, btfn: true }, { ndr32: true, ndr64: false, btfn: true, alterContext: false }],
    [{ ndr64: true, btfn: false }, { ndr32: true, ndr64: true, btfn: false, alterContext: true }],
    [{ ndr64: false, btfn: false }, { ndr32: true, ndr64: false, btfn: false, alterContext: false }],
  ])('host %o: negotiation %o, two requests', async (hostOpts, expected) => {
    const h = await host(hostOpts);
    const r = await run(h, { requests: 2 });
    expect(r.exitCode).toBe(0);
    expect(r.connections[0]!.negotiation).toMatchObject(expected);
    expect(r.connections[0]!.requests.map((q) => q.syntax)).toEqual(expected.ndr64 ? ['ndr32', 'ndr64'] : ['ndr32', 'ndr32']);
  });

  it.each([
    [{ ndr32: false }, ['ndr64', 'ndr64'], false],
    [{ ndr64: false, btfn: false, multiplex: false }, ['ndr32', 'ndr32'], false],
  ] as const)('client rpc %o uses %o', async (rpc, syntaxes, multiplex) => {
    const h = await host();
    const r = await run(h, { rpc, requests: 2 });
    expect(r.exitCode).toBe(0);
    expect(r.connections[0]!.requests.map((q) => q.syntax)).toEqual(syntaxes);
    if ('multiplex' in rpc) expect(r.connections[0]!.negotiation!.multiplex).toBe(multiplex);
  });

  it('combines --connections and --requests', async () => {
    const h = await host();
    const r = await run(h, { product: 'Office Professional Plus 2019', connections: 3, requests: 2 });
    expect(r.exitCode).toBe(0);
    expect(r.totals).toEqual({ planned: 6, sent: 6, activated: 6, failed: 0 });
    expect(h.connections()).toBe(3);
    expect(new Set(h.requests.map((q) => q.cmid)).size).toBe(6);
    const concurrent = await run(h, { connections: 4, concurrency: 4 });
    expect(concurrent.totals.activated).toBe(4);
  });

  it('reports an HRESULT answer with its name and exit code 1, and goes on with the next request', async () => {
    const h = await host({ answer: (_q, i) => (i === 0 ? { kind: 'hresult', hresult: 0xc004f042 } : { kind: 'respond' }) });
    const r = await run(h, { requests: 2 });
    expect(r.exitCode).toBe(1);
    const [first, second] = r.connections[0]!.requests;
    expect(first).toMatchObject({ status: 'hresult', hresult: 0xc004f042 });
    expect(first!.checks.every((c) => c.ok)).toBe(true); // a well-formed error stub
    expect(second!.status).toBe('activated');
    expect(r.failure).toEqual({ kind: 'hresult', message: 'HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)', hresult: 0xc004f042 });
  });

  it('fails the check when the response is corrupted', async () => {
    const h = await host({
      answer: (q) => ({ kind: 'payload', payload: new Uint8Array(q.majorVersion === 4 ? 160 : 260).fill(0x41) }),
    });
    const r = await run(h, { product: 'Windows 7 Professional' });
    expect(r.exitCode).toBe(1);
    const q = r.connections[0]!.requests[0]!;
    expect(q.status).toBe('check-failed');
    expect(r.failure!.kind).toBe('check');
    expect(q.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['version']);
    expect(r.failure!.message).toMatch(/^response check version failed: KMS protocol 16705\.16705 is not supported/);
  });

  it.each([
    ['Windows 7 Professional', 'mac'],
    ['Office Professional Plus 2013', 'decrypt'],
    ['Windows 10 Enterprise', 'decrypt'],
  ])('%s: a flipped bit in the response fails the %s check', async (product, check) => {
    const flip = (p: Uint8Array) => {
      const out = p.slice();
      out[out.length - 1]! ^= 0x01;
      return out;
    };
    const h = await host({ answer: () => ({ kind: 'respond', tamper: flip }) });
    const r = await run(h, { product });
    expect(r.exitCode).toBe(1);
    const q = r.connections[0]!.requests[0]!;
    expect(q.status).toBe('check-failed');
    expect(q.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([check]);
  });

  it('reports a host that closes the connection (exit 3)', async () => {
    const h = await host({ answer: () => ({ kind: 'close' }) });
    const r = await run(h);
    expect(r.exitCode).toBe(3);
    expect(r.failure).toEqual({ kind: 'closed', message: 'the host closed the connection before the answer to request 1' });
    const early = await host({ closeOnAccept: true });
    const r2 = await run(early);
    expect(r2.exitCode).toBe(3);
    expect(r2.failure!.kind).toBe('closed');
    expect(r2.failure!.message).toMatch(/closed|reset/);
  });

  it('times out on a host that never answers (exit 3)', async () => {
    const h = await host({ answer: () => ({ kind: 'silence' }) });
    const r = await run(h, { timeoutMs: 300, connections: 3 });
    expect(r.exitCode).toBe(3);
    expect(r.failure).toEqual({ kind: 'timeout', message: 'timeout: no answer to request 1 within 300 ms' });
    expect(r.connections).toHaveLength(1); // no point in trying the next connections
  });

  it('reports a refused connection (exit 3)', async () => {
    const port = await freePort();
    const r = await activate({ target: `127.0.0.1:${port}`, timeoutMs: 2000 });
    expect(r.exitCode).toBe(3);
    expect(r.failure).toEqual({ kind: 'refused', message: 'connect: connection refused (ECONNREFUSED)' });
  });

  it('reports an unknown product as a usage failure (exit 2) with suggestions, sending nothing', async () => {
    const h = await host();
    const r = await run(h, { product: 'Windows 10 Enterprize' });
    expect(r.exitCode).toBe(2);
    expect(r.suggestions).toContain('Windows 10 Enterprise');
    expect(h.connections()).toBe(0);
  });

  /** A raw server answering the first PDU it receives with `reply(callId)`. */
  async function rawHost(reply: (callId: number) => Uint8Array): Promise<number> {
    const s = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', (b: Buffer) => sock.write(reply(b.readUInt32LE(12))));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    hosts.push({ port: 0, requests: [], connections: () => 0, close: () => new Promise<void>((r) => s.close(() => r())) });
    return (s.address() as AddressInfo).port;
  }
  const header = (ptype: number, length: number, callId: number) =>
    Buffer.from([5, 0, ptype, 0x03, 0x10, 0, 0, 0, length & 0xff, length >> 8, 0, 0, callId & 0xff, (callId >> 8) & 0xff, 0, 0]);

  it('reports a bind_nak and a fault as RPC failures (exit 1), garbage as a protocol failure', async () => {
    const nak = await rawHost((id) => Buffer.concat([header(13, 24, id), Buffer.from([4, 0, 1, 5, 0, 0, 0, 0])]));
    const r1 = await activate({ target: `127.0.0.1:${nak}`, timeoutMs: 2000 });
    expect([r1.exitCode, r1.failure]).toEqual([1, { kind: 'rpc', message: 'bind refused (bind_nak reason 4)' }]);

    const fault = await rawHost((id) => {
      const body = Buffer.alloc(16);
      body.writeUInt32LE(32, 0);
      body.writeUInt32LE(0x1c01000b, 8);
      return Buffer.concat([header(3, 32, id), body]);
    });
    const r2 = await activate({ target: `127.0.0.1:${fault}`, timeoutMs: 2000 });
    expect([r2.exitCode, r2.failure]).toEqual([1, { kind: 'rpc', message: 'RPC fault 0x1c01000b (nca_proto_error) while waiting for bind_ack' }]);

    const junk = await rawHost(() => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const r3 = await activate({ target: `127.0.0.1:${junk}`, timeoutMs: 2000 });
    expect(r3.exitCode).toBe(1);
    expect(r3.failure!.kind).toBe('protocol');
    expect(r3.failure!.message).toMatch(/^bad answer while waiting for bind_ack: RPC_VERSION at offset 0/);
  });

  it('connects to a bracketed IPv6 target', async () => {
    const s = createServer((sock) => sock.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(0, '::1', () => resolve(true));
    });
    if (!ok) return; // no IPv6 loopback on this machine
    const { port } = s.address() as AddressInfo;
    const r = await activate({ target: `[::1]:${port}`, timeoutMs: 2000 });
    s.close();
    expect(r.target).toBe(`[::1]:${port}`);
    expect(r.failure!.kind).toBe('closed'); // connected, then closed by the listener
  });
});
