import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildApp, sampleAdminDeps, type StatusView } from '@kmsgrid/admin-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const cli = join(root, 'dist/tools/kms-admin/main.js');

async function kmsAdmin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, timeout: 20_000, env: { ...process.env, KMSGRID_ADMIN_URL: '' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let healthy: FastifyInstance;
let broken: FastifyInstance;
let url: string;
let brokenUrl: string;
beforeAll(async () => {
  // The same bundle `npm run kms-admin` runs.
  await run(process.execPath, [join(root, 'tools/build/build.mjs'), 'kms-admin', '--quiet'], { cwd: root });
  healthy = buildApp(sampleAdminDeps({ readiness: [{ name: 'ledger', check: async () => {} }] }));
  url = await healthy.listen({ host: '127.0.0.1', port: 0 });
  broken = buildApp(
    sampleAdminDeps({
      ledgerStatus: async () => Promise.reject(new Error('no responders')),
      readiness: [{ name: 'nats', check: async () => Promise.reject(new Error('disconnected')) }],
    }),
  );
  brokenUrl = await broken.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);
afterAll(async () => {
  await healthy?.close();
  await broken?.close();
});

describe('the built kms-admin CLI against a listening admin API', () => {
  it('dlv prints the slmgr /dlv view (exit 0)', async () => {
    const r = await kmsAdmin('--url', url, 'dlv');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('KMS machine Extended PID: 03612-04573-007-417400-03-1033-20348.0000-0732025');
    expect(r.stdout).toContain('    Listening on Port: 1688');
    expect(r.stdout).toMatch(/^ {4}Current count: 18$/m);
    expect(r.stdout).toMatch(/^ {8}Requests with License Status Licensed: \d+$/m);
  });

  it('dlv --json prints the API document', async () => {
    const r = await kmsAdmin('--url', url, '--json', 'dlv');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as StatusView;
    expect(s.applications.map((a) => a.currentCount)).toEqual([18, 3]);
  });

  it('clients pages with the cursor it prints', async () => {
    const first = await kmsAdmin('--url', url, 'clients', '--limit', '2');
    expect(first.code).toBe(0);
    const cursor = /more with --cursor (\S+)$/m.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const second = await kmsAdmin('--url', url, 'clients', '--limit', '2', '--cursor', cursor!);
    expect(second.code).toBe(0);
    const rows = (t: string) => t.split('\n').slice(1, 3);
    expect(rows(second.stdout)).not.toEqual(rows(first.stdout));
  });

  it('clients filters by application', async () => {
    const r = await kmsAdmin('--url', url, 'clients', '--application', 'office', '--wide');
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\d{4}-/.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toContain('Office 2013 and later');
  });

  it('health is 0 when ready and 1 with the failing check when not', async () => {
    const ok = await kmsAdmin('--url', url, 'health');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('Live: yes\nReady: yes\n' + ok.stdout.split('\n')[2] + '\n');
    const bad = await kmsAdmin('--url', brokenUrl, 'health');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('Ready: no (nats)');
    expect(bad.stdout).toContain('nats: FAILED: disconnected');
  });

  it('an API error is one line with the code (exit 1)', async () => {
    const r = await kmsAdmin('--url', brokenUrl, 'dlv');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kms-admin: GET ${brokenUrl}/v1/status failed: 503 KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE: cmid-ledger unavailable: no responders\n`,
    );
    const q = await kmsAdmin('--url', url, 'clients', '--since', 'soon');
    expect(q.code).toBe(1);
    expect(q.stderr).toMatch(/^kms-admin: GET .*\/v1\/clients\?since=soon failed: 400 KMSG_ERR_ADMIN_BAD_QUERY: since "soon" is neither/);
  });

  it('connection refused names the URL (exit 3)', async () => {
    const port = await closedPort();
    const r = await kmsAdmin('--url', `http://127.0.0.1:${port}`, 'dlv');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`kms-admin: cannot reach http://127.0.0.1:${port}/v1/status: connection refused (ECONNREFUSED)\n`);
  });

  it('usage errors exit 2', async () => {
    const r = await kmsAdmin('frob');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('kms-admin: unknown command "frob": use dlv, clients or health (see --help)\n');
  });
});
