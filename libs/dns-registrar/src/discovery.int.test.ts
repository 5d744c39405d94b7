import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { DnsRecord } from '@kmsgrid/dns-client';
import { activate, startTestHost, type TestHost } from '@kmsgrid/kms-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendUpdate } from './net/update-client.js';
import { startDnsRegistrar } from './registrar.js';
import { startTestBind, type TestBind } from './testing/bind.js';
import { throwawayStore } from './testing/store.js';

// kms-client --discover against a real BIND: the records are published by RFC 2136
// (by hand, then by the registrar itself) and the client finds the live host.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const cli = join(root, 'dist/tools/kms-client/main.js');

async function kmsClient(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

/** A port that was free a moment ago: nothing listens there (connection refused). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const srv = (target: string, priority: number, port: number): DnsRecord => ({ name: '_vlmcs._tcp.kms.test', type: 'SRV', ttl: 60, data: { priority, weight: 0, port, target } });
const a = (name: string): DnsRecord => ({ name, type: 'A', ttl: 60, data: '127.0.0.1' });

let live: TestHost;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  // The same bundle `npm run kms-client` runs.
  await run(process.execPath, [join(root, 'tools/build/build.mjs'), 'kms-client', '--quiet'], { cwd: root });
  live = await startTestHost();
}, 60_000);
afterAll(async () => {
  await live?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function bind(): Promise<TestBind> {
  const b = await startTestBind();
  cleanups.push(() => b.stop());
  return b;
}

/** BIND with two hosts at _vlmcs._tcp.kms.test: the first choice (priority 0) dead, the fallback (priority 10) live. */
async function publishedPair(): Promise<{ b: TestBind; dead: number }> {
  const b = await bind();
  const dead = await deadPort();
  const records = [srv('dead.kms.test', 0, dead), srv('live.kms.test', 10, live.port), a('dead.kms.test'), a('live.kms.test')];
  const answer = await sendUpdate(b.server, { zone: 'kms.test', prerequisites: [], updates: records.map((record) => ({ kind: 'add' as const, record })) }, { key: b.key });
  expect(answer).toMatchObject({ rcode: 'NOERROR', verified: true });
  return { b, dead };
}

describe('kms-client discovery against BIND 9 on loopback', () => {
  it('activate({ discover }) skips the dead first choice and activates against the live host', async () => {
    const { b, dead } = await publishedPair();
    const before = live.requests.length;
    const r = await activate({ discover: { domain: 'kms.test', server: b.server }, product: 'Windows Server 2008 R2 Datacenter', timeoutMs: 3000 });
    expect(r.failure).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.target).toBe(`live.kms.test:${live.port}`);
    expect(r.discovery).toMatchObject({
      name: '_vlmcs._tcp.kms.test',
      server: `127.0.0.1:${b.port}`,
      hosts: [
        { target: 'dead.kms.test', port: dead, priority: 0, weight: 0, addresses: ['127.0.0.1'] },
        { target: 'live.kms.test', port: live.port, priority: 10, weight: 0, addresses: ['127.0.0.1'] },
      ],
      attempts: [{ target: `dead.kms.test:${dead}`, failure: { kind: 'refused' } }, { target: `live.kms.test:${live.port}` }],
      answeredBy: `live.kms.test:${live.port}`,
    });
    expect(live.requests.length).toBe(before + 1);
  });

  it('the built CLI: --discover finds the live host (exit 0, last line names it); an unknown domain exits 3 with the DNS error', async () => {
    const { b, dead } = await publishedPair();
    const server = `127.0.0.1:${b.port}`;
    const r = await kmsClient('--discover', 'kms.test', '--dns-server', server, '-l', 'Windows Server 2008 R2 Datacenter', '-v', '--timeout', '3000');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`DNS: _vlmcs._tcp.kms.test SRV at ${server} (--dns-server): 2 hosts, in the order to try (RFC 2782)`);
    expect(r.stdout).toContain(`Host 1 of 2: dead.kms.test:${dead} at 127.0.0.1\nConnection 1\nConnection 1: connect: connection refused (ECONNREFUSED)`);
    expect(r.stdout).toContain(`Host 2 of 2: live.kms.test:${live.port} at 127.0.0.1\nConnection 1 from 127.0.0.1:`);
    expect(lastLine(r.stdout)).toBe(`kms-client: OK: 1 of 1 activation succeeded against live.kms.test:${live.port} (found at _vlmcs._tcp.kms.test) (count 10)`);

    const json = await kmsClient('--discover', 'kms.test', '--dns-server', server, '--json', '--timeout', '3000');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { discovery: { hosts: { target: string }[]; answeredBy: string } };
    expect(doc.discovery.hosts.map((h) => h.target)).toEqual(['dead.kms.test', 'live.kms.test']);
    expect(doc.discovery.answeredBy).toBe(`live.kms.test:${live.port}`);

    const missing = await kmsClient('--discover', 'nothing.kms.test', '--dns-server', server);
    expect(missing.code).toBe(3);
    expect(lastLine(missing.stdout)).toBe('kms-client: FAILED: DNS: _vlmcs._tcp.nothing.kms.test: name does not exist (0x8007232B)');
  });

  it('end to end: the registrar publishes the host, the client discovers it; once withdrawn, discovery fails', async () => {
    const b = await bind();
    const { store, close } = await throwawayStore();
    cleanups.push(close);
    const registrar = startDnsRegistrar({
      store,
      config: { domains: [{ domain: 'kms.test', priority: 0, weight: 0 }], server: b.server, key: b.key, target: 'kms1.kms.test', port: live.port, ttl: 60, addresses: ['127.0.0.1'], refreshMs: 60_000 },
      exchange: { timeoutMs: 1000 },
    });
    cleanups.push(() => registrar.stop({ withdraw: false }));
    await registrar.firstAttempts;
    expect(registrar.status().domains[0]).toMatchObject({ state: 'published' });

    const server = `127.0.0.1:${b.port}`;
    const r = await kmsClient('--discover', 'kms.test', '--dns-server', server, '--timeout', '3000');
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toMatch(new RegExp(`^kms-client: OK: 1 of 1 activation succeeded against kms1\\.kms\\.test:${live.port} \\(found at _vlmcs\\._tcp\\.kms\\.test\\) \\(count \\d+\\)$`));

    await registrar.stop();
    const gone = await kmsClient('--discover', 'kms.test', '--dns-server', server);
    expect(gone.code).toBe(3);
    expect(lastLine(gone.stdout)).toBe('kms-client: FAILED: DNS: _vlmcs._tcp.kms.test: name does not exist (0x8007232B)');
  });
});
