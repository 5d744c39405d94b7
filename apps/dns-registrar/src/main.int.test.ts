import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryRecords, startTestBind, type TestBind } from '@kmsgrid/dns-registrar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const mainJs = join(root, 'dist/apps/dns-registrar/main.js');
const databaseUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function srv(b: TestBind): Promise<string[]> {
  const r = await queryRecords('_vlmcs._tcp.kms.test', 'SRV', { server: b.server });
  return r.answers.flatMap((a) => (a.type === 'SRV' ? [`${a.data.priority} ${a.data.weight} ${a.data.port} ${a.data.target}`] : []));
}

describe('node dist/apps/dns-registrar/main.js', () => {
  let bind: TestBind;
  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/build/build.mjs'), 'dns-registrar', '--quiet'], { cwd: root });
    bind = await startTestBind();
  });
  afterAll(async () => {
    await bind?.stop();
  });

  it('publishes at start and withdraws on SIGTERM, exiting 0', async () => {
    const schema = `dns_app_${randomBytes(5).toString('hex')}`;
    const p = run({
      DATABASE_URL: databaseUrl,
      KMSGRID_DB_SCHEMA: schema,
      KMSGRID_HTTP_LISTEN: '127.0.0.1:0',
      KMSGRID_DNS_DOMAINS: 'kms.test,5,50',
      KMSGRID_DNS_SERVER: `127.0.0.1:${bind.port}`,
      KMSGRID_DNS_TSIG: `hmac-sha256:${bind.key.name}:${bind.key.secret.toString('base64')}`,
      KMSGRID_DNS_TARGET: 'kms-app.kms.test',
      KMSGRID_LISTEN: '0.0.0.0:11688',
    });
    try {
      const deadline = Date.now() + 15_000;
      while ((await srv(bind)).length === 0) {
        if (Date.now() > deadline) throw new Error(`no record published; output:\n${p.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await srv(bind)).toEqual(['5 50 11688 kms-app.kms.test']);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(await srv(bind)).toEqual([]);
      expect(p.output()).toContain('DNS records withdrawn');
    } finally {
      p.child.kill('SIGKILL');
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  });

  it('exits 2 with one line per configuration problem', async () => {
    const p = run({ KMSGRID_DNS_DOMAINS: 'kms.test,99999', KMSGRID_DNS_TSIG: 'hmac-sha256:k:c2VjcmV0' });
    expect(await p.exited).toBe(2);
    const lines = p.output().trim().split('\n');
    expect(lines).toEqual([
      'dns-registrar: configuration error: KMSGRID_DNS_DOMAINS entry "kms.test,99999" is invalid: priority and weight are optional whole numbers from 0 to 65535 (default 0), as in example.com,10,50',
      'dns-registrar: configuration error: KMSGRID_DNS_SERVER is not set: set it to the host:port of the DNS server that accepts dynamic updates for the domains, e.g. 192.0.2.53:53',
      'dns-registrar: configuration error: KMSGRID_DNS_TARGET is not set: set it to the fully qualified name clients connect to, e.g. kms1.example.com',
      'dns-registrar: configuration error: DATABASE_URL is not set: every DNS registration outcome is an event in the store: set DATABASE_URL=postgres://user@host:5432/db',
    ]);
  });

  it('exits 0 when no domain is configured (publishing off)', async () => {
    const p = run({ DATABASE_URL: databaseUrl });
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('DNS publishing is off');
  });
});
