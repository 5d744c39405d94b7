import { parseArgs } from 'node:util';
import { nameProblem, parseDnsServer } from '@kmsgrid/dns-client';
import {
  DEFAULT_KMS_PORT,
  DEFAULTS,
  parseTarget,
  type ClientOptions,
  type DiscoverOptions,
  type KmsProtocolVersion,
  type Target,
} from '@kmsgrid/kms-client';
import { isGuid, type Guid } from '@kmsgrid/kms-protocol';

export interface CliOutputOptions {
  readonly json: boolean;
  readonly verbose: boolean;
}

/** The options of a discovery run: no target, DNS finds it. */
export type DiscoverClientOptions = Omit<ClientOptions, 'target'> & { readonly discover: DiscoverOptions };

export type CliParse =
  | { readonly kind: 'run'; readonly options: ClientOptions | DiscoverClientOptions; readonly output: CliOutputOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: kms-client [HOST[:PORT]] [options]
       kms-client --discover DOMAIN [--dns-server HOST[:PORT]] [options]
A KMS activation client in the spirit of vlmcs: binds over DCE/RPC, sends KMS v4/v5/v6
activation requests, verifies every response and reports the result.

Target: HOST:PORT, [IPv6]:PORT or HOST (port ${DEFAULT_KMS_PORT}); default ${DEFAULTS.host}:${DEFAULT_KMS_PORT}.

Discovery (instead of a target, as Windows clients find their KMS host):
      --discover DOMAIN     look up the _vlmcs._tcp.DOMAIN SRV records and try the hosts in
                            RFC 2782 order (lowest priority first, then weighted random), each at
                            the first address of its target; a host that cannot be connected to
                            gives way to the next
      --dns-server HOST[:PORT]
                            DNS server to ask (port 53); default: the first nameserver of
                            /etc/resolv.conf (none: 127.0.0.1)

Product (default "Windows 10 Enterprise"):
  -l, --product NAME        Microsoft product name, case-insensitive, e.g. "Windows 10 Enterprise",
                            "Windows Server 2008 R2 Datacenter", "Office Professional Plus 2019".
                            An unknown name lists close matches and exits 2.
      --app GUID            Application ID (counter bucket: Windows, Office 2010, Office 2013+)
      --kms GUID            KMS counted ID (what the host grants or refuses)
      --sku GUID            SKU ID (Activation ID); GUIDs override the product's
  -4, -5, -6                KMS protocol version (short for --protocol)
      --protocol 4|5|6      default: the product's protocol from the catalog, else 6

Request fields:
      --cmid GUID           client machine ID (default: random v4 GUID per request)
      --previous-cmid GUID  previous client machine ID (default: all zero)
      --workstation NAME    workstation name (default: random plausible FQDN per request)
      --npolicy N           N-count policy (default: from the KMS item, 25 client / 5 server)
      --license-status N    0 unlicensed, 1 licensed, 2 OOB grace, 3 OOT grace,
                            4 non-genuine grace, 5 notification, 6 extended grace (default 2)
      --remaining MINUTES   binding expiration: minutes left in that state (default 43200)
      --vm                  claim to be a virtual machine

RPC:
      --ndr32 / --no-ndr32  offer the NDR32 transfer syntax (default on)
      --ndr64 / --no-ndr64  offer NDR64 (default on; first request NDR32, later NDR64, as Windows)
      --btfn / --no-btfn    bind time feature negotiation (default on)
      --no-multiplex        do not set PFC_CONC_MPX in the bind (vlmcs -p)

Load:
  -n, --requests N          requests on each connection (default 1)
      --connections N       connections, one after another, each with N requests (default 1)
      --timeout MS          connect and per-answer timeout (default 10000)

Output:
      --json                one JSON document on stdout instead of text
  -v, --verbose             show request fields and RPC negotiation details
  -h, --help                this text

Exit codes: 0 all activations succeeded; 1 activation failed (HRESULT answer or a failed check);
2 usage error (bad option, unknown product); 3 network error (refused, timeout, connection closed)
or DNS error (--discover found no host).
The last line of text output always says OK or FAILED and why.`;

const OPTIONS = {
  product: { type: 'string', short: 'l' },
  app: { type: 'string' },
  kms: { type: 'string' },
  sku: { type: 'string' },
  protocol: { type: 'string' },
  '4': { type: 'boolean', short: '4' },
  '5': { type: 'boolean', short: '5' },
  '6': { type: 'boolean', short: '6' },
  cmid: { type: 'string' },
  'previous-cmid': { type: 'string' },
  workstation: { type: 'string' },
  npolicy: { type: 'string' },
  'license-status': { type: 'string' },
  remaining: { type: 'string' },
  vm: { type: 'boolean' },
  ndr32: { type: 'boolean' },
  'no-ndr32': { type: 'boolean' },
  ndr64: { type: 'boolean' },
  'no-ndr64': { type: 'boolean' },
  btfn: { type: 'boolean' },
  'no-btfn': { type: 'boolean' },
  multiplex: { type: 'boolean' },
  'no-multiplex': { type: 'boolean' },
  requests: { type: 'string', short: 'n' },
  connections: { type: 'string' },
  timeout: { type: 'string' },
  discover: { type: 'string' },
  'dns-server': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--${name} needs a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`--${name} must be ${min}..${max}, got ${n}`);
  return n;
}

function guid(name: string, text: string): Guid {
  const s = text.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase();
  if (!isGuid(s)) throw new UsageError(`--${name} needs a GUID like 55c92734-d682-4d71-983e-d6ec3f16059f, got ${JSON.stringify(text)}`);
  return s as Guid;
}

const U32_MAX = 0xffffffff;

/**
 * Parses and validates the command line (without `node script`). Never throws:
 * bad input is a `{ kind: 'error' }` with a message for the user (exit 2).
 * @example parseCli(['127.0.0.1:1688', '-l', 'Windows 10 Enterprise', '-n', '2'])
 */
export function parseCli(argv: readonly string[]): CliParse {
  try {
    return parseOrThrow(argv);
  } catch (e) {
    if (e instanceof UsageError) return { kind: 'error', message: e.message };
    // node:util parseArgs throws TypeErrors with codes ERR_PARSE_ARGS_*
    if (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) return { kind: 'error', message: e.message };
    throw e;
  }
}

function parseOrThrow(argv: readonly string[]): CliParse {
  const { values: v, positionals, tokens } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  if (v.help) return { kind: 'help' };
  if (positionals.length > 1) throw new UsageError(`one target expected, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);

  let discover: DiscoverOptions | undefined;
  if (v.discover !== undefined) {
    if (positionals[0] !== undefined) {
      throw new UsageError(`--discover and a HOST:PORT target (${JSON.stringify(positionals[0])}) are mutually exclusive: give one`);
    }
    const problem = nameProblem(v.discover);
    if (problem) throw new UsageError(`--discover needs a domain name: ${JSON.stringify(v.discover)}: ${problem}`);
    discover = { domain: v.discover };
  }
  if (v['dns-server'] !== undefined) {
    if (discover === undefined) throw new UsageError('--dns-server goes with --discover DOMAIN');
    const s = parseDnsServer(v['dns-server']);
    if (!s.ok) throw new UsageError(`--dns-server: ${s.message}`);
    discover = { ...discover, server: s.server };
  }

  let target: Target = { host: DEFAULTS.host, port: DEFAULT_KMS_PORT };
  if (positionals[0] !== undefined) {
    const t = parseTarget(positionals[0]);
    if (!t.ok) throw new UsageError(`target: ${t.message}`);
    target = t.target;
  }

  // Later options win (as in vlmcs), so walk the tokens in order for the flags that conflict.
  let protocol: KmsProtocolVersion | undefined;
  const rpc = { ndr32: true, ndr64: true, btfn: true, multiplex: true };
  for (const tok of tokens) {
    if (tok.kind !== 'option') continue;
    switch (tok.name) {
      case '4':
      case '5':
      case '6':
        protocol = Number(tok.name) as KmsProtocolVersion;
        break;
      case 'protocol': {
        const p = (tok.value ?? '').trim().replace(/\.0$/, '');
        if (p !== '4' && p !== '5' && p !== '6') throw new UsageError(`--protocol must be 4, 5 or 6, got ${JSON.stringify(tok.value)}`);
        protocol = Number(p) as KmsProtocolVersion;
        break;
      }
      case 'ndr32':
      case 'ndr64':
      case 'btfn':
      case 'multiplex':
        rpc[tok.name] = true;
        break;
      case 'no-ndr32':
      case 'no-ndr64':
      case 'no-btfn':
      case 'no-multiplex':
        rpc[tok.name.slice(3) as keyof typeof rpc] = false;
        break;
    }
  }
  if (!rpc.ndr32 && !rpc.ndr64) throw new UsageError('--no-ndr32 and --no-ndr64 together leave no transfer syntax to bind');

  if (v.product !== undefined && v.product.trim() === '') throw new UsageError('--product needs a name');
  if (v.workstation !== undefined) {
    // WorkstationName is WCHAR[64] including the terminating NUL.
    if (v.workstation.length === 0 || v.workstation.length > 63) throw new UsageError('--workstation must be 1..63 characters');
  }

  const settings: Omit<ClientOptions, 'target'> = {
    ...(protocol !== undefined && { protocol }),
    ...(v.product !== undefined && { product: v.product.trim() }),
    ...(v.app !== undefined && { appId: guid('app', v.app) }),
    ...(v.kms !== undefined && { kmsId: guid('kms', v.kms) }),
    ...(v.sku !== undefined && { skuId: guid('sku', v.sku) }),
    ...(v.cmid !== undefined && { cmid: guid('cmid', v.cmid) }),
    ...(v['previous-cmid'] !== undefined && { previousCmid: guid('previous-cmid', v['previous-cmid']) }),
    ...(v.workstation !== undefined && { workstation: v.workstation }),
    ...(v.npolicy !== undefined && { nPolicy: integer('npolicy', v.npolicy, 0, U32_MAX) }),
    licenseStatus: v['license-status'] === undefined ? DEFAULTS.licenseStatus : integer('license-status', v['license-status'], 0, 6),
    remainingMinutes: v.remaining === undefined ? DEFAULTS.remainingMinutes : integer('remaining', v.remaining, 0, U32_MAX),
    vm: v.vm === true,
    rpc,
    requests: v.requests === undefined ? DEFAULTS.requests : integer('requests', v.requests, 1, 1_000_000),
    connections: v.connections === undefined ? DEFAULTS.connections : integer('connections', v.connections, 1, 100_000),
    timeoutMs: v.timeout === undefined ? DEFAULTS.timeoutMs : integer('timeout', v.timeout, 1, 3_600_000),
  };
  const options = discover ? { ...settings, discover } : { target, ...settings };
  return { kind: 'run', options, output: { json: v.json === true, verbose: v.verbose === true } };
}
