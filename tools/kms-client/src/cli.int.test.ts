import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@kmsgrid/kms-client';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const cli = join(root, 'dist/tools/kms-client/main.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}
async function kmsClient(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

let ok: TestHost;
let refusing: TestHost;
beforeAll(async () => {
  // The same bundle `npm run kms-client` runs.
  await run(process.execPath, [join(root, 'tools/build/build.mjs'), 'kms-client', '--quiet'], { cwd: root });
  ok = await startTestHost();
  refusing = await startTestHost({ answer: () => ({ kind: 'hresult', hresult: 0xc004f042 }) });
}, 60_000);
afterAll(async () => {
  await ok?.close();
  await refusing?.close();
});

describe('the built kms-client CLI', () => {
  it('activates and ends with an OK line (exit 0)', async () => {
    const r = await kmsClient(`127.0.0.1:${ok.port}`, '-l', 'Windows Server 2008 R2 Datacenter', '-n', '2', '-v');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('KMS host ePID               : 03612-00206-556-123727-03-1033-17763.0000-2972018');
    expect(r.stdout).toContain('RPC bind                    : NDR32 (alter_context) + NDR64 + BTFN (0x3)');
    expect(lastLine(r.stdout)).toBe(`kms-client: OK: 2 of 2 activations succeeded against 127.0.0.1:${ok.port} (count 10)`);
  });

  it('names the HRESULT on the last line (exit 1)', async () => {
    const r = await kmsClient(`127.0.0.1:${refusing.port}`, '-6');
    expect(r.code).toBe(1);
    expect(lastLine(r.stdout)).toBe('kms-client: FAILED: HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)');
  });

  it('prints one JSON document with --json', async () => {
    const r = await kmsClient(`127.0.0.1:${ok.port}`, '--json', '-l', 'Office Professional Plus 2019', '--connections', '2');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; totals: { activated: number }; lastLine: string };
    expect(doc.ok).toBe(true);
    expect(doc.totals.activated).toBe(2);
    expect(doc.lastLine).toMatch(/^kms-client: OK: 2 of 2/);
  });

  it('exits 2 on usage errors and unknown products, listing close matches', async () => {
    const bad = await kmsClient('--protocol', '7');
    expect(bad.code).toBe(2);
    expect(lastLine(bad.stderr)).toBe('kms-client: FAILED: usage: --protocol must be 4, 5 or 6, got "7"');
    const unknown = await kmsClient(`127.0.0.1:${ok.port}`, '-l', 'Office Professional Plus 2091');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toMatch(/Close matches:\n(  .*\n)*  Office Professional Plus 2019\n/);
    expect(lastLine(unknown.stdout)).toBe('kms-client: FAILED: unknown product "Office Professional Plus 2091"');
    const both = await kmsClient('127.0.0.1:1688', '--discover', 'kms.test');
    expect(both.code).toBe(2);
    expect(lastLine(both.stderr)).toBe('kms-client: FAILED: usage: --discover and a HOST:PORT target ("127.0.0.1:1688") are mutually exclusive: give one');
    const help = await kmsClient('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kms-client/);
  });

  it('exits 3 when nothing listens', async () => {
    const closed = await startTestHost();
    const port = closed.port;
    await closed.close();
    const r = await kmsClient(`127.0.0.1:${port}`, '--timeout', '2000');
    expect(r.code).toBe(3);
    expect(lastLine(r.stdout)).toBe('kms-client: FAILED: connect: connection refused (ECONNREFUSED)');
  });

  // Discovery against a real BIND is tested in libs/dns-registrar/src/discovery.int.test.ts.
  it('exits 3 naming the DNS error and its HRESULT when the DNS server cannot be reached', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    await new Promise<void>((r) => udp.close(() => r()));
    const r = await kmsClient('--discover', 'kms.test', '--dns-server', `127.0.0.1:${port}`, '--json');
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { failure: { kind: string; hresult: number }; discovery: { server: string; hosts: unknown[] }; lastLine: string };
    expect(doc.failure).toMatchObject({ kind: 'dns', hresult: 0x8007232a });
    expect(doc.discovery).toMatchObject({ server: `127.0.0.1:${port}`, hosts: [] });
    expect(doc.lastLine).toBe(`kms-client: FAILED: DNS: _vlmcs._tcp.kms.test: cannot reach the DNS server 127.0.0.1:${port} (0x8007232A)`);
  });
});
