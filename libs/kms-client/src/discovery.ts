import {
  DnsLookupError,
  describeDnsLookupError,
  formatDnsServer,
  kmsSrvName,
  nameProblem,
  resolveKmsHosts,
  systemDnsServer,
  type DnsServer,
} from '@kmsgrid/dns-client';
import type { ActivateOptions, ActivateResult } from './client.js';
import type { DiscoverOptions } from './options.js';
import { usageFailure, type DiscoveredHost, type DiscoveryInfo, type Failure, type HostAttempt } from './result.js';
import { formatTarget, type Target } from './target.js';

/** Progress of discovery: the records are known; a host is about to be tried (1-based `index` of `of`). */
export type DiscoveryEvent =
  | { readonly kind: 'resolved'; readonly discovery: DiscoveryInfo }
  | { readonly kind: 'trying'; readonly host: DiscoveredHost; readonly address: string; readonly index: number; readonly of: number };

type Prepare = (input: ActivateOptions, targetText: string) => { ok: true } | { ok: false; result: ActivateResult };
type ActivateAt = (input: ActivateOptions) => Promise<ActivateResult>;

/** A run that never got a connection up: the next host may do better (RFC 2782: try the next target). */
function connectFailed(r: ActivateResult): Failure | undefined {
  const c = r.connections[0];
  if (c === undefined || c.local !== undefined || c.requests.length > 0 || c.failure === undefined) return undefined;
  return c.failure.kind === 'refused' || c.failure.kind === 'timeout' || c.failure.kind === 'network' ? c.failure : undefined;
}


/**
 * `activate({ discover })`: validates the options (usage errors come before
 * any lookup), resolves `_vlmcs._tcp.<domain>`, then runs the activation
 * against each host in RFC 2782 order until one can be connected to.
 */
export async function activateByDns(input: ActivateOptions, discover: DiscoverOptions, deps: { prepare: Prepare; activateAt: ActivateAt }): Promise<ActivateResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const problem = nameProblem(discover.domain);
  if (problem) return usageFailure(`_vlmcs._tcp.${discover.domain}`, `discover: ${JSON.stringify(discover.domain)} is not a domain name: ${problem}`);
  const name = kmsSrvName(discover.domain);
  // Any target will do to check the product and the RPC options before the lookup.
  const checked = deps.prepare({ ...input, discover: undefined, target: { host: 'discovered.invalid', port: 1688 } }, name);
  if (!checked.ok) return { ...checked.result, target: name };

  let server: DnsServer;
  let serverFrom = 'given';
  if (discover.server) server = discover.server;
  else ({ server, source: serverFrom } = await systemDnsServer());
  const base = { domain: discover.domain, name, server: formatDnsServer(server), serverFrom };

  let hosts: DiscoveredHost[];
  try {
    hosts = await resolveKmsHosts(discover.domain, {
      server,
      ...(discover.timeoutMs !== undefined && { timeoutMs: discover.timeoutMs }),
      ...(discover.random && { random: discover.random }),
    });
  } catch (e) {
    if (!(e instanceof DnsLookupError)) throw e;
    const failure: Failure = { kind: 'dns', message: `DNS: ${describeDnsLookupError(e)}`, hresult: e.hresult };
    return {
      ok: false,
      exitCode: 3,
      target: name,
      discovery: { ...base, hosts: [], attempts: [] },
      connections: [],
      totals: { planned: 0, sent: 0, activated: 0, failed: 0 },
      failure,
      failures: 1,
      durationMs: elapsed(),
    };
  }
  input.onDiscovery?.({ kind: 'resolved', discovery: { ...base, hosts, attempts: [] } });

  const attempts: HostAttempt[] = [];
  let last: ActivateResult | undefined;
  for (const [i, host] of hosts.entries()) {
    const address = host.addresses[0] ?? host.target;
    const shown = formatTarget({ host: host.target, port: host.port });
    input.onDiscovery?.({ kind: 'trying', host, address, index: i + 1, of: hosts.length });
    const target: Target = { host: address, port: host.port };
    const r = await deps.activateAt({ ...input, discover: undefined, target });
    const failed = connectFailed(r);
    attempts.push({ target: shown, address, ...(failed && { failure: failed }) });
    last = { ...r, target: shown };
    if (!failed) return { ...last, discovery: { ...base, hosts, attempts, answeredBy: shown }, durationMs: elapsed() };
  }
  // Every host failed to connect; hosts is never empty (resolveKmsHosts rejects then).
  const r = last!;
  const lastFailure = attempts.at(-1)!.failure!;
  const failure: Failure = {
    kind: lastFailure.kind,
    message: `none of the ${hosts.length} KMS host${hosts.length === 1 ? '' : 's'} of ${name} could be connected to (last: ${r.target}: ${lastFailure.message})`,
  };
  return { ...r, target: name, failure, failures: attempts.length, discovery: { ...base, hosts, attempts }, durationMs: elapsed() };
}
