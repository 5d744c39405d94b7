import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryRecords, type DnsServer } from '@kmsgrid/dns-client';
import type { TsigKey } from '../wire/tsig.js';

/** The failure message when `named` is absent: the tests fail, they never skip. */
export const BIND_MISSING_MESSAGE = 'BIND 9 (named) is not installed: run .ci/bind.sh (apt-get install bind9 bind9-dnsutils), or set NAMED_BIN';

/**
 * A zone of the test server; `updaters` are the key names allowed to update it
 * (`allow-update`, default: every key), or `updatePolicy` is the body of an
 * `update-policy { ... };` statement used instead.
 */
export type TestZone = Readonly<{ name: string; updaters?: readonly string[]; updatePolicy?: string }>;

export type TestBindOptions = Readonly<{
  /** Default one zone, `kms.test`. */
  zones?: readonly TestZone[];
  /** Default one hmac-sha256 key `kmsgrid-key` with a random secret. */
  keys?: readonly TsigKey[];
  /** A fixed port (from {@link freeDualPort}); default a free one. */
  port?: number;
}>;

/** A private `named` on 127.0.0.1 (its own directory, pid file and session key). */
export interface TestBind {
  readonly server: DnsServer;
  readonly port: number;
  readonly key: TsigKey;
  readonly keys: readonly TsigKey[];
  readonly dir: string;
  /** What named wrote to stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

function namedBinary(): string | undefined {
  const fromEnv = process.env['NAMED_BIN'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const which = spawnSync('sh', ['-c', 'command -v named'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  if (found) return found;
  return existsSync('/usr/sbin/named') ? '/usr/sbin/named' : undefined;
}

/** A port free for both TCP and UDP on 127.0.0.1 (named needs both). */
export async function freeDualPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
}

const zoneFile = (zone: string) => `$TTL 300
@ IN SOA ns1.${zone}. hostmaster.${zone}. ( 1 3600 600 86400 300 )
@ IN NS ns1.${zone}.
ns1 IN A 127.0.0.1
`;

/**
 * Starts a private BIND 9 for tests: a temp directory with named.conf, the
 * zones (dynamic updates allowed to the TSIG keys) and named's own files;
 * `named -g` runs as a child process on 127.0.0.1:`port`. Resolves once it
 * answers queries. Throws {@link BIND_MISSING_MESSAGE} when named is absent.
 *
 * @example const bind = await startTestBind(); try { ... } finally { await bind.stop(); }
 */
export async function startTestBind(opts: TestBindOptions = {}): Promise<TestBind> {
  const named = namedBinary();
  if (!named) throw new Error(BIND_MISSING_MESSAGE);
  const keys = opts.keys ?? [{ name: 'kmsgrid-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32) }];
  const zones = opts.zones ?? [{ name: 'kms.test' }];
  const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-bind-'));
  const port = opts.port ?? (await freeDualPort());
  const conf = [
    `options {`,
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    `  listen-on-v6 { none; };`,
    `  recursion no;`,
    `  notify no;`,
    `  dnssec-validation no;`,
    `  allow-query { any; };`,
    `};`,
    // No rndc channel: several test servers must not fight over port 953.
    `controls { };`,
    ...keys.map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret.toString('base64')}"; };`),
    ...zones.map((z) => {
      const updaters = z.updaters ?? keys.map((k) => k.name);
      const allow = updaters.length === 0 ? 'none;' : updaters.map((n) => `key "${n}";`).join(' ');
      const rule = z.updatePolicy === undefined ? `allow-update { ${allow} };` : `update-policy { ${z.updatePolicy} };`;
      return `zone "${z.name}" { type primary; file "${dir}/${z.name}.db"; ${rule} };`;
    }),
  ].join('\n');
  await writeFile(join(dir, 'named.conf'), `${conf}\n`);
  for (const z of zones) await writeFile(join(dir, `${z.name}.db`), zoneFile(z.name));

  let stderr = '';
  const child: ChildProcess = spawn(named, ['-g', '-n', '1', '-c', join(dir, 'named.conf'), '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-20_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const server: DnsServer = { host: '127.0.0.1', port };
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`named exited before answering on 127.0.0.1:${port}:\n${stderr}`);
    }
    try {
      const r = await queryRecords(`ns1.${zones[0]!.name}`, 'A', { server, timeoutMs: 200, udpTries: 1 });
      if (r.rcode === 'NOERROR' && r.answers.length > 0) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`named did not answer on 127.0.0.1:${port} within 15 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { server, port, key: keys[0]!, keys, dir, log: () => stderr, stop };
}
