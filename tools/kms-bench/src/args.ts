import type { Target } from './activation.js';
import { PRODUCT_CLASSES, type ProductClass } from './products.js';
import { parseMix, type WeightedMix } from './weights.js';
import { PROTOCOL_KEYS, type ProtocolKey } from './workload.js';

export type Scenario = 'ingress-only' | 'all-in-one' | 'split' | 'target';
export const SCENARIOS: readonly Scenario[] = ['ingress-only', 'all-in-one', 'split', 'target'];

export interface BenchOptions {
  readonly scenario: Scenario;
  /** For `target`. */
  readonly target?: Target;
  readonly concurrency: readonly number[];
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly timeoutMs: number;
  readonly protocolMix: WeightedMix<ProtocolKey>;
  readonly productMix: WeightedMix<ProductClass>;
  readonly pool: number;
  readonly seed: number;
  readonly threads: number;
  readonly hostPids: readonly number[];
  readonly json: boolean;
  readonly record: boolean;
  /** all-in-one on real Postgres (a fresh database) instead of PGlite. */
  readonly postgres: boolean;
  /** ingress-only inside the benchmark process. */
  readonly inProcess: boolean;
  /** Fill the fresh database with this many CMIDs in the window before the run (Postgres scenarios). */
  readonly prefill?: number;
  /** Held-connections mode: open this many bound, idle connections instead of the load. */
  readonly connectionsHeld?: number;
  readonly profile: boolean;
  readonly build: boolean;
  /** Build started apps from the last commit (`head`) or from the working tree. */
  readonly source: 'head' | 'worktree';
  readonly pgAdminUrl: string;
  readonly natsUrl: string;
  /** Where --record writes (the repository's docs/ by default). */
  readonly docsDir?: string;
  /** Paired runs of the last commit against the working tree: this many pairs. */
  readonly abPairs?: number;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: BenchOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `usage: npm run bench -- <scenario> [options]

scenarios:
  ingress-only          the ingress library with a constant policy, in a child process
  all-in-one            node dist/apps/kmsgrid/main.js, fresh data directory (PGlite)
  split                 kms-ingress, activation-policy and cmid-ledger over NATS and Postgres
  target HOST:PORT      a host already running (loopback only)

options:
  --concurrency 1,8,64,256   concurrent clients, a sweep (default 1,8,64,256)
  --duration 10s             measured time per level (default 10s; ms, s or m)
  --warmup 2s                unmeasured time before each level (default 2s)
  --timeout 5s               one activation's limit (default 5s)
  --mix v4:1,v5:1,v6:2       protocol versions by weight
  --products client:3,server:1,office:1
                             Windows client, Windows server and Office products by weight
  --pool 100000              distinct CMIDs (picks are uniform: new clients, then renewals)
  --seed N                   the pool's identity (default: random, printed)
  --threads N                load generator threads (default 1)
  --host-pid PID[,PID...]    read the host's CPU and RSS (target; others know their pids)
  --postgres                 all-in-one on Postgres 127.0.0.1:5432 (fresh database)
  --in-process               ingress-only inside this process (no separate host CPU)
  --prefill N                a ledger already holding N CMIDs in its 30-day window (all-in-one --postgres, split)
  --connections-held N       open N bound idle connections and report the host's RSS
  --profile                  run the host with node --cpu-prof and summarize where time goes
  --source head|worktree     build the apps a scenario starts from the last commit (default) or the working tree
  --ab N                     N paired runs of the last commit against the working tree, alternating
                             which goes first; prints each pair and the median ratios (all-in-one, split)
  --no-build                 with --source worktree: run the apps as built
  --pg-url URL               admin connection for the fresh database (default postgres://postgres@127.0.0.1:5432/postgres)
  --nats-url URL             NATS for split mode (default nats://127.0.0.1:4222)
  --json                     print the report as JSON
  --record                   append the results to docs/benchmarks.md with an SVG plot
  -h, --help`;

const LIMITS = { abPairs: 20, concurrency: 10_000, levels: 16, durationMs: 600_000, warmupMs: 300_000, pool: 10_000_000, threads: 32, held: 50_000, prefill: 10_000_000 };

/** `10s`, `500ms`, `2m`, or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

const positiveInt = (text: string): number | undefined => (/^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined);

/** Loopback only: the benchmark must not load anything but this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** HOST:PORT or [IPv6]:PORT. */
export function parseTarget(text: string): Target | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1]!, port } : undefined;
}

/** Parses the command line (after `npm run bench --`). Pure. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const err = (message: string): ParsedArgs => ({ kind: 'error', message });
  let scenario: Scenario | undefined;
  let target: Target | undefined;
  let concurrency: number[] = [1, 8, 64, 256];
  let durationMs = 10_000;
  let warmupMs = 2000;
  let timeoutMs = 5000;
  let protocolMixText = 'v4:1,v5:1,v6:2';
  let productMixText = 'client:3,server:1,office:1';
  let pool = 100_000;
  let seed: number | undefined;
  let threads = 1;
  let hostPids: number[] = [];
  let connectionsHeld: number | undefined;
  let prefill: number | undefined;
  let pgAdminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
  let natsUrl = 'nats://127.0.0.1:4222';
  let docsDir: string | undefined;
  let source: 'head' | 'worktree' = 'head';
  let sourceGiven = false;
  let abPairs: number | undefined;
  const flags = { json: false, record: false, postgres: false, inProcess: false, profile: false, build: true };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    const need = (): string => {
      const v = value();
      if (v === undefined || v === '') throw new ArgError(`${name} needs a value`);
      return v;
    };
    try {
      switch (name) {
        case '-h':
        case '--help':
          return { kind: 'help' };
        case '--concurrency': {
          const parts = need().split(',').map((s) => positiveInt(s.trim()));
          if (parts.some((p) => p === undefined || p > LIMITS.concurrency)) throw new ArgError(`--concurrency takes positive integers up to ${LIMITS.concurrency}, comma-separated`);
          if (parts.length > LIMITS.levels) throw new ArgError(`--concurrency takes at most ${LIMITS.levels} levels`);
          concurrency = parts as number[];
          break;
        }
        case '--duration':
        case '--warmup':
        case '--timeout': {
          const v = need();
          const ms = parseDuration(v);
          const max = name === '--duration' ? LIMITS.durationMs : name === '--warmup' ? LIMITS.warmupMs : 60_000;
          const min = name === '--warmup' ? 0 : 100;
          if (ms === undefined || ms < min || ms > max) throw new ArgError(`${name} ${v}: use a duration from ${min} ms to ${max / 1000} s, like 10s or 500ms`);
          if (name === '--duration') durationMs = ms;
          else if (name === '--warmup') warmupMs = ms;
          else timeoutMs = ms;
          break;
        }
        case '--mix':
          protocolMixText = need();
          break;
        case '--products':
          productMixText = need();
          break;
        case '--pool': {
          const n = positiveInt(need());
          if (n === undefined || n > LIMITS.pool) throw new ArgError(`--pool takes 1 to ${LIMITS.pool}`);
          pool = n;
          break;
        }
        case '--seed': {
          const v = need();
          if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new ArgError('--seed takes an integer from 0 to 4294967295');
          seed = Number(v);
          break;
        }
        case '--threads': {
          const n = positiveInt(need());
          if (n === undefined || n > LIMITS.threads) throw new ArgError(`--threads takes 1 to ${LIMITS.threads}`);
          threads = n;
          break;
        }
        case '--host-pid': {
          const pids = need().split(',').map((s) => positiveInt(s.trim()));
          if (pids.some((p) => p === undefined)) throw new ArgError('--host-pid takes process ids, comma-separated');
          hostPids = pids as number[];
          break;
        }
        case '--connections-held': {
          const n = positiveInt(need());
          if (n === undefined || n > LIMITS.held) throw new ArgError(`--connections-held takes 1 to ${LIMITS.held}`);
          connectionsHeld = n;
          break;
        }
        case '--prefill': {
          const n = positiveInt(need());
          if (n === undefined || n > LIMITS.prefill) throw new ArgError(`--prefill takes 1 to ${LIMITS.prefill}`);
          prefill = n;
          break;
        }
        case '--pg-url':
          pgAdminUrl = need();
          break;
        case '--nats-url':
          natsUrl = need();
          break;
        case '--source': {
          const v = need();
          if (v !== 'head' && v !== 'worktree') throw new ArgError('--source takes head or worktree');
          source = v;
          sourceGiven = true;
          break;
        }
        case '--ab': {
          const n = positiveInt(need());
          if (n === undefined || n > LIMITS.abPairs) throw new ArgError(`--ab takes 1 to ${LIMITS.abPairs} pairs`);
          abPairs = n;
          break;
        }
        case '--docs-dir':
          docsDir = need();
          break;
        case '--json':
          flags.json = true;
          break;
        case '--record':
          flags.record = true;
          break;
        case '--postgres':
          flags.postgres = true;
          break;
        case '--in-process':
          flags.inProcess = true;
          break;
        case '--profile':
          flags.profile = true;
          break;
        case '--no-build':
          flags.build = false;
          break;
        default:
          if (arg.startsWith('-')) throw new ArgError(`unknown option ${arg}`);
          if (scenario === undefined) {
            if (!(SCENARIOS as readonly string[]).includes(arg)) throw new ArgError(`unknown scenario ${JSON.stringify(arg)} (use ${SCENARIOS.join(', ')})`);
            scenario = arg as Scenario;
          } else if (scenario === 'target' && target === undefined) {
            target = parseTarget(arg);
            if (target === undefined) throw new ArgError(`target ${JSON.stringify(arg)}: use HOST:PORT or [IPv6]:PORT`);
            if (!isLoopback(target.host)) throw new ArgError(`target ${arg}: the benchmark only loads this machine (127.0.0.0/8, ::1, localhost)`);
          } else {
            throw new ArgError(`unexpected argument ${JSON.stringify(arg)}`);
          }
      }
    } catch (e) {
      if (e instanceof ArgError) return err(e.message);
      throw e;
    }
  }
  if (scenario === undefined) return err(`name a scenario: ${SCENARIOS.join(', ')}`);
  if (scenario === 'target' && target === undefined) return err('target needs HOST:PORT');
  if (flags.postgres && scenario !== 'all-in-one') return err('--postgres applies to all-in-one (split always uses Postgres)');
  if (prefill !== undefined && !(scenario === 'split' || (scenario === 'all-in-one' && flags.postgres))) return err('--prefill applies to all-in-one --postgres and split');
  if (flags.inProcess && scenario !== 'ingress-only') return err('--in-process applies to ingress-only');
  if (flags.profile && (scenario === 'target' || flags.inProcess)) return err('--profile needs a host the benchmark starts (not target or --in-process)');
  if (!flags.build && source === 'head') return err('--no-build runs the apps as built in the working tree: add --source worktree');
  if (connectionsHeld !== undefined && flags.inProcess) return err('--connections-held needs the host in its own process (drop --in-process)');
  if (abPairs !== undefined) {
    if (scenario !== 'all-in-one' && scenario !== 'split') return err('--ab compares builds of the apps a scenario starts: all-in-one or split');
    if (sourceGiven || !flags.build) return err('--ab builds both sides itself: drop --source and --no-build');
    if (flags.profile || flags.record || connectionsHeld !== undefined) return err('--ab does not combine with --profile, --record or --connections-held');
  }
  const protocolMix = parseMix(protocolMixText, PROTOCOL_KEYS);
  if (!protocolMix.ok) return err(`--mix: ${protocolMix.message}`);
  const productMix = parseMix(productMixText, PRODUCT_CLASSES);
  if (!productMix.ok) return err(`--products: ${productMix.message}`);
  return {
    kind: 'run',
    options: {
      scenario,
      ...(target && { target }),
      concurrency,
      durationMs,
      warmupMs,
      timeoutMs,
      protocolMix: protocolMix.value,
      productMix: productMix.value,
      pool,
      seed: seed ?? Math.floor(Math.random() * 0xffffffff),
      threads,
      hostPids,
      ...(connectionsHeld !== undefined && { connectionsHeld }),
      ...(prefill !== undefined && { prefill }),
      pgAdminUrl,
      natsUrl,
      source,
      ...(docsDir !== undefined && { docsDir }),
      ...(abPairs !== undefined && { abPairs }),
      ...flags,
    },
  };
}

class ArgError extends Error {}
