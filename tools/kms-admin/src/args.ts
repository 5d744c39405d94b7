import { parseArgs } from 'node:util';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Filters of `clients`, passed to GET /v1/clients as they are (the server validates them). */
export interface ClientFilters {
  readonly application?: string;
  readonly workstation?: string;
  readonly address?: string;
  readonly licenseStatus?: string;
  readonly since?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export type Command =
  | { readonly kind: 'dlv' }
  | { readonly kind: 'clients'; readonly filters: ClientFilters; readonly wide: boolean }
  | { readonly kind: 'health' };

export interface CliOptions {
  /** Base URL of the admin API, without a trailing slash. */
  readonly url: string;
  readonly json: boolean;
  readonly timeoutMs: number;
}

export type CliParse =
  | { readonly kind: 'run'; readonly command: Command; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: kms-admin [--url URL] [--json] [--timeout MS] COMMAND [filters]

Commands:
  dlv        host keys with ePID/HWID, current count per application against its
             thresholds, intervals, listening addresses and cumulative requests by
             license state (the KMS host view of slmgr /dlv)
  clients    clients, newest first, as a table; filters:
               --application windows|office-2010|office|GUID
               --workstation PREFIX   --address ADDRESS
               --license-status 0..6|licensed|initial-grace|...
               --since 24h|7d|2026-05-01T00:00:00Z
               --limit 1..500 (default 100)   --cursor NEXT   --wide (CMID, application, first seen)
  health     liveness (/healthz) and readiness (/readyz) with each check

Options:
  --url URL       admin API base URL (default ${DEFAULT_URL}, or KMSGRID_ADMIN_URL)
  --json          print the API's JSON instead of text
  --timeout MS    give up after MS milliseconds (default ${DEFAULT_TIMEOUT_MS})
  -h, --help      this text

Exit codes: 0 ok; 1 the API answered with an error or is not ready; 2 usage error;
3 network error (connection refused, unreachable, timeout, not an admin API).`;

const OPTIONS = {
  url: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  application: { type: 'string' },
  workstation: { type: 'string' },
  address: { type: 'string' },
  'license-status': { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  wide: { type: 'boolean' },
} as const;

const CLIENT_FLAGS = ['application', 'workstation', 'address', 'license-status', 'since', 'limit', 'cursor', 'wide'] as const;

class UsageError extends Error {}

function normalizeUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url must be http:// or https://, got ${u.protocol}`);
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--${name} needs a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`--${name} must be ${min}..${max}, got ${n}`);
  return n;
}

/**
 * Parses the command line (without `node script`); never throws: bad input is
 * `{ kind: 'error' }` with a message for the user (exit 2).
 *
 * @example parseCli(['--url', 'http://kms:8080', 'clients', '--application', 'office'], process.env)
 */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliParse {
  try {
    return parseOrThrow(argv, env);
  } catch (e) {
    if (e instanceof UsageError) return { kind: 'error', message: e.message };
    if (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) return { kind: 'error', message: e.message };
    throw e;
  }
}

function parseOrThrow(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliParse {
  const { values: v, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  if (v.help) return { kind: 'help' };
  if (positionals.length === 0) throw new UsageError('name a command: dlv, clients or health');
  if (positionals.length > 1) throw new UsageError(`one command expected, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const name = positionals[0]!;
  const options: CliOptions = {
    url: normalizeUrl(v.url ?? (env['KMSGRID_ADMIN_URL']?.trim() || DEFAULT_URL)),
    json: v.json ?? false,
    timeoutMs: v.timeout === undefined ? DEFAULT_TIMEOUT_MS : integer('timeout', v.timeout, 1, 600_000),
  };
  let command: Command;
  switch (name) {
    case 'dlv':
    case 'health':
      for (const f of CLIENT_FLAGS) if (v[f] !== undefined) throw new UsageError(`--${f} belongs to the clients command`);
      command = { kind: name };
      break;
    case 'clients':
      command = {
        kind: 'clients',
        wide: v.wide ?? false,
        filters: {
          ...(v.application !== undefined && { application: v.application }),
          ...(v.workstation !== undefined && { workstation: v.workstation }),
          ...(v.address !== undefined && { address: v.address }),
          ...(v['license-status'] !== undefined && { licenseStatus: v['license-status'] }),
          ...(v.since !== undefined && { since: v.since }),
          ...(v.limit !== undefined && { limit: integer('limit', v.limit, 1, 500) }),
          ...(v.cursor !== undefined && { cursor: v.cursor }),
        },
      };
      break;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}: use dlv, clients or health`);
  }
  return { kind: 'run', command, options };
}

/** Query string of GET /v1/clients for the filters. */
export function clientsQuery(f: ClientFilters): string {
  const p = new URLSearchParams();
  for (const [k, val] of Object.entries(f)) if (val !== undefined) p.set(k, String(val));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}
