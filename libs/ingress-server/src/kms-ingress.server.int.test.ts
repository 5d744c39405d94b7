import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyDecideReply, PolicyDecideRequest } from '@kmsgrid/contracts';
import { createIngressServer, HRESULT_INVALID_DATA, type IngressOptions, type IngressServer } from './index.js';
import { RawKmsClient, windows10Request } from './testing/raw-kms-client.js';

const EPID = '03612-00206-556-123727-03-1033-17763.0000-2972018';
const activate = (count: number): PolicyDecideReply => ({
  kind: 'activate',
  epid: EPID,
  hwid: '3A1C049600B60076',
  count,
  activationInterval: 120,
  renewalInterval: 10080,
});

let server: IngressServer | undefined;
afterEach(async () => {
  await server?.close(1000);
  server = undefined;
});

async function start(decide: IngressOptions['decide'], over: Partial<IngressOptions> = {}): Promise<number> {
  server = createIngressServer({ listen: [{ host: '127.0.0.1', port: 0 }], ingressId: 'test', decide, ...over });
  const [addr] = await server.listen();
  return addr!.port;
}

describe('kms-ingress over TCP on loopback', () => {
  it('answers v4, v5 and v6 requests with the policy decision, echoing CMID and time', async () => {
    const seen: PolicyDecideRequest[] = [];
    const port = await start(async (req) => {
      seen.push(req);
      return activate(42);
    });
    const c = await RawKmsClient.connect(port);
    await c.bind();
    for (const major of [4, 5, 6]) {
      const req = windows10Request({ majorVersion: major });
      const res = await c.activate(req);
      expect(res.kind).toBe('ok');
      expect(res.verified!.checks.filter((k) => !k.ok)).toEqual([]);
      expect(res.verified!.response.count).toBe(42);
      expect(res.verified!.response.epid).toBe(EPID);
      expect(res.verified!.response.cmid).toBe(req.cmid);
    }
    c.close();
    expect(seen.map((s) => s.version.major)).toEqual([4, 5, 6]);
    expect(seen[0]!.origin.clientAddress).toBe('127.0.0.1');
    expect(seen[0]!.origin.rpcSyntax).toBe('ndr32');
    expect(seen[1]!.origin.rpcSyntax).toBe('ndr64');
  });

  it('answers a refusal with its HRESULT in an error stub', async () => {
    const port = await start(async () => ({ kind: 'refuse', hresult: 0xc004f042, reason: 'not covered' }));
    const c = await RawKmsClient.connect(port);
    await c.bind();
    expect(await c.activate(windows10Request())).toEqual({ kind: 'error', hresult: 0xc004f042 });
    c.close();
  });

  it('sends unknown protocol versions to the policy without a body', async () => {
    let got: PolicyDecideRequest | undefined;
    const port = await start(async (req) => {
      got = req;
      return { kind: 'refuse', hresult: HRESULT_INVALID_DATA, reason: 'version' };
    });
    const c = await RawKmsClient.connect(port);
    await c.bind();
    expect(await c.activate(windows10Request({ majorVersion: 7 }))).toEqual({ kind: 'error', hresult: HRESULT_INVALID_DATA });
    expect(got!.version).toEqual({ major: 7, minor: 0 });
    expect(got!.request).toBeUndefined();
    c.close();
  });

  it('closes without an answer when the policy is unavailable, and keeps serving others', async () => {
    let fail = true;
    const port = await start(async () => {
      if (fail) throw new Error('no responders');
      return activate(1);
    });
    const a = await RawKmsClient.connect(port);
    await a.bind();
    expect(await a.activate(windows10Request())).toEqual({ kind: 'closed' });
    fail = false;
    const b = await RawKmsClient.connect(port);
    await b.bind();
    expect((await b.activate(windows10Request())).kind).toBe('ok');
    b.close();
    expect(server!.stats().unavailable).toBe(1);
  });

  it('closes garbage and oversized PDUs while a concurrent client is served', async () => {
    const port = await start(async () => activate(7), { maxPduSize: 1024 });
    const good = await RawKmsClient.connect(port);
    await good.bind();
    const garbage = connect({ port, host: '127.0.0.1' });
    garbage.on('error', () => {}).resume();
    garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const oversized = connect({ port, host: '127.0.0.1' });
    oversized.on('error', () => {}).resume();
    const hdr = Buffer.from('05000b031000000000000000020000', 'hex');
    const big = Buffer.concat([hdr, Buffer.alloc(1)]);
    big.writeUInt16LE(60000, 8);
    oversized.write(big);
    const closed = (s: typeof garbage) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));
    await Promise.all([closed(garbage), closed(oversized)]);
    expect((await good.activate(windows10Request())).kind).toBe('ok');
    good.close();
    expect(server!.stats().protocolErrors).toBeGreaterThanOrEqual(2);
  });

  it('closes idle connections after the idle timeout', async () => {
    const port = await start(async () => activate(1), { idleTimeoutMs: 200 });
    const c = await RawKmsClient.connect(port);
    expect(await c.waitClosed(3000)).toBe(true);
  });

  it('closes a connection at its maximum age even while it keeps sending', async () => {
    const port = await start(async () => activate(1), { idleTimeoutMs: 5000, maxConnectionAgeMs: 300 });
    const c = await RawKmsClient.connect(port);
    const drip = connect({ port, host: '127.0.0.1' });
    drip.on('error', () => {}).resume();
    // A bind header announcing a 184-byte PDU, then one byte every 50 ms: never idle, never complete.
    drip.write(Buffer.from('05000b0310000000b800000002000000', 'hex'));
    const timer = setInterval(() => drip.write(Buffer.alloc(1)), 50);
    try {
      const closed = new Promise<boolean>((r) => drip.once('close', () => r(true)));
      const started = Date.now();
      expect(await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 3000))])).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(await c.waitClosed(3000)).toBe(true);
    } finally {
      clearInterval(timer);
      drip.destroy();
    }
  });

  it('closes after the client, and keeps a connection that is not idle', async () => {
    const port = await start(async () => activate(3), { idleTimeoutMs: 400 });
    const c = await RawKmsClient.connect(port);
    await c.bind();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 200));
      expect((await c.activate(windows10Request())).kind).toBe('ok');
    }
    c.close();
    const deadline = Date.now() + 3000;
    while (server!.stats().connectionsActive > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server!.stats()).toMatchObject({ connectionsAccepted: 1, connectionsActive: 0, requests: 4, activated: 4 });
  });

  it('drains on close: the answer in flight is delivered, then the listener is gone', async () => {
    let release: (() => void) | undefined;
    const port = await start(
      () =>
        new Promise<PolicyDecideReply>((resolve) => {
          release = () => resolve(activate(5));
        }),
    );
    const c = await RawKmsClient.connect(port);
    await c.bind();
    const pending = c.activate(windows10Request());
    while (!release) await new Promise((r) => setTimeout(r, 10));
    const closing = server!.close(5000);
    release();
    const res = await pending;
    expect(res.kind).toBe('ok');
    await closing;
    server = undefined;
    await expect(RawKmsClient.connect(port)).rejects.toThrow();
  });
});
