// `npm start` on a fresh clone: the bundled all-in-one with only the listen
// addresses and a data directory (no DATABASE_URL, no NATS_URL: embedded
// PGlite, in-process transport), activated by the kms-client CLI, stopped by
// SIGTERM; a second one on the same data directory is refused. And a bad
// configuration stops start-up with exit code 2.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, killAllSpawned, portOf, spawnBundle } from './testing/processes.js';

let dataDir: string;
beforeAll(async () => {
  buildBundles('kmsgrid', 'kms-client');
  dataDir = await mkdtemp(join(tmpdir(), 'kmsgrid-e2e-npm-start-'));
}, 120_000);
afterAll(async () => {
  await killAllSpawned();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

/** The CLI as a user runs it; resolves with its exit code and output. */
async function kmsClient(args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = spawnBundle('tools/kms-client', {}, args, 'kms-client');
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

describe('node dist/apps/kmsgrid/main.js (npm start)', () => {
  it('serves activations with embedded Postgres and no other server, then drains on SIGTERM with exit 0', async () => {
    const host = spawnBundle('apps/kmsgrid', { KMSGRID_LISTEN: '127.0.0.1:0', KMSGRID_HTTP_LISTEN: '127.0.0.1:0', KMSGRID_DATA_DIR: dataDir });
    // The first start initialises PGlite's data directory: slow on small machines.
    const port = portOf(await host.waitForLog((l) => l.msg === 'KMS listener up', 110_000));
    expect(await readdir(dataDir)).toContain('pg');

    const win = await kmsClient([`127.0.0.1:${port}`, '-l', 'Windows 10 Enterprise', '--json']);
    expect(win.code, win.output).toBe(0);
    const result = JSON.parse(win.output) as { ok: boolean; connections: { requests: { response?: { count: number } }[] }[] };
    expect(result.ok).toBe(true);
    expect(result.connections[0]?.requests[0]?.response?.count).toBe(1);
    const office = await kmsClient([`127.0.0.1:${port}`, '-l', 'Office Professional Plus 2019', '-n', '2']);
    expect(office.code, office.output).toBe(0);

    // A second kmsgrid on the same data directory (started twice by mistake) must not open it too:
    // both would write the one database and both would be the ledger's single writer.
    const twice = spawnBundle('apps/kmsgrid', { KMSGRID_LISTEN: '127.0.0.1:0', KMSGRID_HTTP_LISTEN: '127.0.0.1:0', KMSGRID_DATA_DIR: dataDir }, [], 'kmsgrid-twice');
    expect((await twice.exited).code).toBe(1);
    expect(twice.output()).toContain(`is in use by another process (pid ${host.child.pid})`);

    host.signal('SIGTERM');
    expect(await host.exited).toEqual({ code: 0, signal: null });
    expect(host.logs().some((l) => l.msg === 'stopped')).toBe(true);
  }, 180_000);

  it('a bad configuration stops start-up with exit code 2 and one line naming the variable', async () => {
    const host = spawnBundle('apps/kmsgrid', {
      KMSGRID_LISTEN: '127.0.0.1:0',
      KMSGRID_HTTP_LISTEN: '127.0.0.1:0',
      KMSGRID_DATA_DIR: join(dataDir, 'never-used'),
      KMSGRID_ACTIVATION_INTERVAL: '14',
    });
    expect(await host.exited).toEqual({ code: 2, signal: null });
    const lines = host.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kmsgrid: configuration error: .*KMSGRID_ACTIVATION_INTERVAL/);
    expect(lines[0]).toMatch(/15/); // says what is valid
  }, 60_000);

  it('a log level that is none stops start-up the same way', async () => {
    const host = spawnBundle('apps/kmsgrid', { KMSGRID_LISTEN: '127.0.0.1:0', KMSGRID_HTTP_LISTEN: '127.0.0.1:0', KMSGRID_DATA_DIR: join(dataDir, 'never-used'), KMSGRID_LOG_LEVEL: 'warning' });
    expect(await host.exited).toEqual({ code: 2, signal: null });
    expect(host.output().trim().split('\n')).toEqual(['kmsgrid: configuration error: KMSGRID_LOG_LEVEL="warning" is not a log level: use debug, info, warn or error']);
  }, 60_000);
});
