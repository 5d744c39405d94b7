import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate } from './client.js';
import { startTestHost } from './testing/test-host.js';

/**
 * Against the reference emulator, when VLMCSD_BIN names a vlmcsd binary (CI has
 * none). vlmcsd runs in the foreground on loopback with fixed ePIDs (-r0),
 * NDR64 and BTFN on, as in the captures of shared/vectors.
 */
const bin = process.env['VLMCSD_BIN'];

const WINDOWS_EPID = '03612-00206-556-123727-03-1033-17763.0000-2972018';

async function listening(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`vlmcsd did not listen on ${port}`);
}

describe.skipIf(!bin)('activate against vlmcsd (VLMCSD_BIN)', () => {
  let vlmcsd: ChildProcess;
  let target = '';
  let log = '';

  beforeAll(async () => {
    // A port that was free a moment ago.
    const probe = await startTestHost();
    const port = probe.port;
    await probe.close();
    vlmcsd = spawn(bin!, ['-D', '-e', '-v', '-T0', '-r0', '-N1', '-B1', '-L', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    vlmcsd.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    vlmcsd.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    await listening(port, Date.now() + 10_000);
    target = `127.0.0.1:${port}`;
  }, 20_000);

  afterAll(() => {
    vlmcsd?.kill('SIGTERM');
  });

  it.each([
    ['Windows Server 2008 R2 Datacenter', 4, 10],
    ['Windows 7 Professional', 4, 50],
    ['Windows 8 Enterprise', 5, 50],
    ['Office Professional Plus 2013', 5, 10],
    ['Windows 10 Enterprise', 6, 50],
    ['Office Professional Plus 2019', 6, 10],
  ] as const)('%s: KMS v%i, two requests (NDR32 then NDR64), every check passes', async (product, version, count) => {
    const r = await activate({ target, product, requests: 2 });
    expect([r.ok, r.target, r.totals.activated, r.totals.planned]).toEqual([true, target, 2, 2]);
    const c = r.connections[0]!;
    expect(c.negotiation).toMatchObject({ ndr32: true, ndr64: true, btfn: true, btfnFeatures: 3, alterContext: true });
    expect(c.checks.filter((k) => !k.ok)).toEqual([]);
    for (const q of c.requests) {
      expect(q.protocol).toBe(version);
      expect(q.response!.count).toBe(count);
      expect(q.checks.filter((k) => !k.ok)).toEqual([]);
      if (product.startsWith('Windows')) expect(q.response!.epid).toBe(WINDOWS_EPID);
      expect(q.response!.hwid).toBe(version === 6 ? '3A1C049600B60076' : undefined);
    }
    expect(c.requests.map((q) => q.syntax)).toEqual(['ndr32', 'ndr64']);
    expect(log).toContain(c.requests[1]!.request.cmid);
  });

  it('binds NDR32 only, without multiplex, over several connections', async () => {
    const r = await activate({ target, product: 'Office Professional Plus 2019', rpc: { ndr64: false, btfn: false, multiplex: false }, connections: 3 });
    expect(r.exitCode).toBe(0);
    expect(r.connections.map((c) => c.negotiation?.multiplex)).toEqual([false, false, false]);
  });

  it('gets 0x8007000D for N-policy 1001, as vlmcsd refuses it', async () => {
    const r = await activate({ target, nPolicy: 1001 });
    expect(r.exitCode).toBe(1);
    expect(r.failure).toEqual({ kind: 'hresult', message: 'HRESULT 0x8007000D (ERROR_INVALID_DATA)', hresult: 0x8007000d });
  });
});
