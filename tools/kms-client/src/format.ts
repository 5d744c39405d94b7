import {
  describeHresult,
  type ActivationResult,
  type Check,
  type ConnectionOutcome,
  type DiscoveryEvent,
  type DiscoveryInfo,
  type Failure,
  type Negotiation,
  type RequestOutcome,
} from '@kmsgrid/kms-client';

const LICENSE_STATUS = ['Unlicensed', 'Licensed', 'OOB grace', 'OOT grace', 'Non-genuine grace', 'Notification', 'Extended grace'];

const line = (label: string, value: string) => `  ${label.padEnd(28)}: ${value}`;
const utc = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
const named = (guid: string, name: string | undefined) => (name ? `${guid} (${name})` : guid);

function minutes(n: number): string {
  if (n >= 1440 && n % 1440 === 0) return `${n} min (${n / 1440} day${n === 1440 ? '' : 's'})`;
  if (n >= 60 && n % 60 === 0) return `${n} min (${n / 60} h)`;
  return `${n} min`;
}

/** `NDR32 + NDR64 + BTFN (0x3), multiplex` */
export function formatNegotiation(n: Negotiation): string {
  const parts: string[] = [];
  if (n.ndr32) parts.push(n.alterContext ? 'NDR32 (alter_context)' : 'NDR32');
  if (n.ndr64) parts.push('NDR64');
  if (n.btfn) parts.push(`BTFN (0x${(n.btfnFeatures ?? 0).toString(16)})`);
  const offered = (['ndr32', 'ndr64', 'btfn'] as const).filter((k) => n.offered[k]).map((k) => k.toUpperCase()).join(', ');
  return `${parts.join(' + ') || 'nothing'} of {${offered}}; ${n.multiplex ? 'multiplex' : 'no multiplex'}; assoc group 0x${n.assocGroupId.toString(16).padStart(8, '0')}; max frag ${n.maxXmitFrag}/${n.maxRecvFrag}; secondary address "${n.secondaryAddress}"`;
}

function formatChecks(checks: readonly Check[], label = 'Checks'): string[] {
  if (checks.length === 0) return [line(label, 'none')];
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return [line(label, `all ${checks.length} passed (${checks.map((c) => c.name).join(', ')})`)];
  return [
    line(label, `${failed.length} of ${checks.length} FAILED`),
    ...failed.map((c) => `    FAILED ${c.name}${c.detail ? `: ${c.detail}` : ''}`),
  ];
}

/** The text block for one request and its answer (request fields only when verbose). */
export function formatRequest(r: RequestOutcome, total: number, verbose: boolean): string {
  const out: string[] = [];
  const rpc = r.syntax ? `, ${r.syntax.toUpperCase()}, call id ${r.callId}, context ${r.contextId}` : '';
  out.push(`Request ${r.sequence} of ${total} on connection ${r.connection} (KMS v${r.request.majorVersion}.${r.request.minorVersion}${rpc})`);
  const q = r.request;
  if (r.product.name) out.push(line('Product', r.product.name));
  if (verbose) {
    out.push(line('Application ID', named(q.applicationId, r.product.applicationName)));
    out.push(line('SKU ID (Activation ID)', named(q.skuId, r.product.skuName)));
    out.push(line('KMS ID (KMS counted ID)', named(q.kmsCountedId, r.product.kmsItemName)));
    out.push(line('Client machine ID', q.cmid));
    out.push(line('Previous client machine ID', q.previousCmid));
    out.push(line('Workstation name', q.workstation));
    out.push(line('License status', `${q.licenseStatus} (${LICENSE_STATUS[q.licenseStatus] ?? 'unknown'})`));
    out.push(line('Remaining time', minutes(q.remainingMinutes)));
    out.push(line('N count policy', String(q.nPolicy)));
    out.push(line('Virtual machine', q.vm ? 'yes' : 'no'));
    out.push(line('Client time', utc(q.clientTime)));
  }
  const s = r.response;
  if (s) {
    out.push(`Response (${s.size} bytes, KMS v${s.majorVersion}.${s.minorVersion})`);
    out.push(line('KMS host ePID', s.epid));
    if (s.hwid !== undefined) out.push(line('KMS host hardware ID', s.hwid));
    out.push(line('Client machine ID', s.cmid));
    out.push(line('Client time', utc(s.clientTime)));
    out.push(line('Current count', String(s.count)));
    // vlmcs stops at the count; a Windows client compares it with its N-policy (kms-facts section 1).
    out.push(
      line(
        'Client would activate',
        s.count >= r.request.nPolicy
          ? `yes (count ${s.count} >= N-policy ${r.request.nPolicy})`
          : `no: count ${s.count} < N-policy ${r.request.nPolicy} (Windows reports 0xC004F038 and retries after the activation interval)`,
      ),
    );
    out.push(line('Activation interval', minutes(s.activationInterval)));
    out.push(line('Renewal interval', minutes(s.renewalInterval)));
  }
  if (r.status === 'hresult' && r.hresult !== undefined) out.push(line('Answer', describeHresult(r.hresult)));
  if (r.checks.length > 0 || s) out.push(...formatChecks(r.checks));
  if (r.failure && r.status !== 'hresult') out.push(line('Error', r.failure.message));
  out.push(line('Result', r.status === 'activated' ? `activated (${r.durationMs} ms)` : r.status.toUpperCase()));
  return out.join('\n');
}

/** The text block for one connection: negotiation (verbose), bind checks that failed, its requests. */
export function formatConnection(c: ConnectionOutcome, requestsPerConnection: number, verbose: boolean): string {
  const out: string[] = [];
  if (verbose) {
    out.push(`Connection ${c.index}${c.local ? ` from ${c.local}` : ''}`);
    if (c.negotiation) out.push(line('RPC bind', formatNegotiation(c.negotiation)));
    if (c.checks.length > 0) out.push(...formatChecks(c.checks, 'RPC checks'));
  } else {
    const failed = c.checks.filter((k) => !k.ok);
    if (failed.length > 0) {
      out.push(`Connection ${c.index}: RPC checks FAILED`);
      out.push(...failed.map((k) => `    FAILED ${k.name}${k.detail ? `: ${k.detail}` : ''}`));
    }
  }
  for (const r of c.requests) out.push(formatRequest(r, requestsPerConnection, verbose));
  if (c.failure && !c.requests.some((r) => r.failure === c.failure)) out.push(`Connection ${c.index}: ${c.failure.message}`);
  return out.join('\n');
}

/** The SRV records discovery found, in the order they are tried (verbose). */
export function formatDiscovery(d: DiscoveryInfo): string {
  const from = d.serverFrom === 'given' ? '--dns-server' : `from ${d.serverFrom}`;
  const head = `DNS: ${d.name} SRV at ${d.server} (${from})`;
  if (d.hosts.length === 0) return `${head}: no host`;
  const out = [`${head}: ${d.hosts.length} host${d.hosts.length === 1 ? '' : 's'}, in the order to try (RFC 2782)`];
  d.hosts.forEach((h, i) => {
    const where = h.addresses.length > 0 ? h.addresses.join(', ') : 'no address from this server (the system resolves the name)';
    out.push(`  ${`${i + 1}.`.padEnd(3)} ${`${h.target}:${h.port}`.padEnd(32)} priority ${h.priority}, weight ${h.weight}: ${where}`);
  });
  return out.join('\n');
}

/** One line before each host is tried: `Host 2 of 2: live.kms.test:1688 at 192.0.2.10`. */
export function formatTrying(e: Extract<DiscoveryEvent, { kind: 'trying' }>): string {
  return `Host ${e.index} of ${e.of}: ${e.host.target}:${e.host.port} at ${e.address}`;
}

/** The one-line description of a failure, e.g. `HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)`. */
export function describeFailure(f: Failure): string {
  return f.kind === 'hresult' && f.hresult !== undefined ? describeHresult(f.hresult) : f.message;
}

/** The last line: `kms-client: OK: …` or `kms-client: FAILED: …`. */
export function formatLastLine(r: ActivationResult): string {
  const { totals } = r;
  if (r.ok) {
    const counts = [...new Set(r.connections.flatMap((c) => c.requests.map((q) => q.response?.count)))].filter((n) => n !== undefined);
    return `kms-client: OK: ${totals.activated} of ${totals.planned} activation${totals.planned === 1 ? '' : 's'} succeeded against ${r.target}` +
      (r.discovery ? ` (found at ${r.discovery.name})` : '') +
      (counts.length > 0 ? ` (count ${counts.join(', ')})` : '');
  }
  const more = r.failures > 1 ? ` (${r.failures} failures, ${totals.activated} of ${totals.planned} activated)` : '';
  return `kms-client: FAILED: ${r.failure ? describeFailure(r.failure) : 'unknown failure'}${more}`;
}

/** The whole text report. */
export function formatText(r: ActivationResult, requestsPerConnection: number, verbose: boolean): string {
  const blocks = r.connections.map((c) => formatConnection(c, requestsPerConnection, verbose)).filter((b) => b !== '');
  const found = verbose && r.discovery ? [formatDiscovery(r.discovery)] : [];
  return [...found, ...blocks, formatLastLine(r)].join('\n\n');
}

/** The JSON document (`--json`); the shape is {@link ActivationResult} plus `lastLine`. */
export function formatJson(r: ActivationResult): string {
  return JSON.stringify({ ...r, lastLine: formatLastLine(r) }, null, 2);
}
