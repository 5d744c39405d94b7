import type { ClientsView, ReadinessView, RequestStats, StatusView } from '@kmsgrid/admin-api';

/**
 * `slmgr /dlv` wording per license state, in wire order 0..6. A copy of
 * @kmsgrid/admin-api's LICENSE_STATES labels (a unit test keeps them equal) so
 * the CLI bundle does not load the HTTP server and the catalog.
 */
export const LICENSE_LABELS: readonly (readonly [Exclude<keyof RequestStats, 'total' | 'failed'>, string])[] = [
  ['unlicensed', 'Unlicensed'],
  ['licensed', 'Licensed'],
  ['initialGrace', 'Initial grace period'],
  ['ootGrace', 'License expired or Hardware out of tolerance'],
  ['nonGenuineGrace', 'Non-genuine grace period'],
  ['notification', 'Notification'],
  ['extendedGrace', 'Extended grace period'],
];

const ind = (n: number) => ' '.repeat(n);

/** `2026-05-04 12:00 UTC` */
export const utc = (iso: string | null): string => (iso === null ? 'never' : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);

function minutes(m: number): string {
  if (m >= 1440 && m % 1440 === 0) return `${m} minutes (${m / 1440} days)`;
  if (m >= 60 && m % 60 === 0) return `${m} minutes (${m / 60} hours)`;
  return `${m} minutes`;
}

/** Remaining time in a license state: `29d 23h`, `5h 10m`, `42m`. */
export function remaining(m: number): string {
  if (m >= 1440) return `${Math.floor(m / 1440)}d ${Math.floor((m % 1440) / 60)}h`;
  if (m >= 60) return `${Math.floor(m / 60)}h ${m % 60}m`;
  return `${m}m`;
}

const ports = (listen: readonly string[]): string => {
  const set = [...new Set(listen.map((a) => a.slice(a.lastIndexOf(':') + 1)))];
  return set.length === 0 ? 'not listening in this process' : set.join(', ');
};

/**
 * The status in the layout of `slmgr /dlv` on a KMS host: one block per host
 * key (Name, Description, ePID, HWID), the service block (count, port,
 * intervals) and the cumulative requests, per application.
 */
export function formatDlv(s: StatusView, url: string): string {
  const out: string[] = [];
  out.push(`kmsgrid ${s.host.version} (${s.host.mode}) at ${url}, ${utc(s.generatedAt)}`);
  if (s.hostKeys.length === 0) out.push('', 'No host key is configured.');
  for (const k of s.hostKeys) {
    const covered = k.coveredProducts.map((p) => p.name);
    const shown = covered.slice(0, 4).join(', ') + (covered.length > 4 ? `, and ${covered.length - 4} more` : '');
    out.push(
      '',
      `Name: ${k.name}`,
      `Description: ${k.groupLabel ?? k.group}, VOLUME_KMS channel (host key ${k.id})`,
      `Application ID: ${k.applicationId ?? 'unknown'}${k.applicationName === null ? '' : ` (${k.applicationName})`}`,
      `KMS machine Extended PID: ${k.epid ?? 'not generated yet'}`,
      `KMS machine Hardware ID: ${k.hwid ?? 'not generated yet'}`,
      `Identity source: ${k.identitySource}`,
      `Covered products (${covered.length}): ${shown || 'none'}`,
    );
  }
  out.push(
    '',
    'Key Management Service is enabled on this machine',
    `${ind(4)}Listening on Port: ${ports(s.host.listen)}`,
    `${ind(4)}Listening on: ${s.host.listen.join(', ') || 'none'}`,
    `${ind(4)}Activation Interval: ${minutes(s.intervals.activationMinutes)}`,
    `${ind(4)}Renewal Interval: ${minutes(s.intervals.renewalMinutes)}`,
    `${ind(4)}Client clock tolerance: ${s.clockToleranceMinutes === null ? 'not checked' : minutes(s.clockToleranceMinutes)}`,
  );
  if (s.dns !== undefined) {
    if (!s.dns.available) out.push(`${ind(4)}DNS publishing: status unavailable (${s.dns.error ?? 'no answer'})`);
    for (const d of s.dns.domains) {
      out.push(`${ind(4)}DNS publishing ${d.domain}: ${d.outcome}${d.at === null ? '' : ` at ${utc(d.at)}`}${d.message === undefined ? '' : ` (${d.message})`}`);
    }
  }
  if (s.ingress !== undefined) {
    const i = s.ingress;
    out.push(
      `${ind(4)}KMS connections: ${i.connectionsActive ?? 0} open, ${i.connectionsAccepted ?? 0} accepted, ${i.connectionsDropped ?? 0} dropped`,
      `${ind(4)}KMS answers: ${i.activated ?? 0} activated, ${i.refused ?? 0} refused, ${i.invalid ?? 0} invalid, ${i.unavailable ?? 0} unanswered`,
    );
  }
  if (s.applications.length === 0) out.push('', 'No application has a host key or a request yet.');
  for (const a of s.applications) {
    out.push('', `${a.name} (Application ID ${a.applicationId})`, `${ind(4)}Current count: ${a.currentCount}`);
    out.push(
      `${ind(4)}Count cap: ${a.cap === null ? `none yet (at most ${a.maxCount})` : `${a.cap} (2 x highest N-policy ${a.highestNPolicy})`}`,
      `${ind(4)}Active clients in the last 30 days: ${a.activeClients}`,
    );
    for (const t of a.thresholds) {
      out.push(`${ind(4)}${t.label} (N-policy ${t.nPolicy}): ${t.activates ? 'activate' : `do not activate, ${t.missing} more ${t.missing === 1 ? 'client' : 'clients'} needed`}`);
    }
    if (a.hostKeyIds.length === 0) out.push(`${ind(4)}No configured host key covers this application.`);
    out.push(`${ind(4)}Last request: ${utc(a.lastRequestAt)}`);
    out.push(
      '',
      `${ind(4)}Key Management Service cumulative requests received from clients`,
      `${ind(8)}Total requests received: ${a.requests.total}`,
      `${ind(8)}Failed requests received: ${a.requests.failed}`,
      ...LICENSE_LABELS.map(([stat, label]) => `${ind(8)}Requests with License Status ${label}: ${a.requests[stat]}`),
    );
  }
  return out.join('\n');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** One page of clients as a table; the last line says how to get the next page. */
export function formatClients(v: ClientsView, wide: boolean): string {
  if (v.clients.length === 0) return 'No clients match.';
  const headers = ['LAST SEEN', 'WORKSTATION', 'PRODUCT', 'LICENSE STATUS', 'REMAINING', 'ADDRESS', 'VM', 'REQS', 'OUTCOME'];
  if (wide) headers.push('FIRST SEEN', 'APPLICATION', 'CMID');
  const rows = v.clients.map((c) => {
    const row = [
      utc(c.lastSeen).replace(' UTC', ''),
      c.workstation || '-',
      wide ? c.productName : clip(c.productName, 40),
      c.licenseStatusName,
      remaining(c.remainingMinutes),
      c.address,
      c.vm ? 'yes' : 'no',
      String(c.requestCount),
      c.lastError === null ? c.lastOutcome : `${c.lastOutcome} ${c.lastError}`,
    ];
    if (wide) row.push(utc(c.firstSeen).replace(' UTC', ''), c.applicationName, c.cmid);
    return row;
  });
  const more = v.nextCursor === null ? `${v.clients.length} clients (times UTC).` : `${v.clients.length} clients (times UTC); more with --cursor ${v.nextCursor}`;
  return `${table(headers, rows, new Set([4, 7]))}\n\n${more}`;
}

/** Liveness and readiness with each check. */
export function formatHealth(live: boolean, ready: ReadinessView): string {
  const lines = [`Live: ${live ? 'yes' : 'no'}`, `Ready: ${ready.status === 'ready' ? 'yes' : `no (${ready.failing.join(', ')})`}`];
  for (const c of ready.checks) lines.push(`    ${c.name}: ${c.ok ? 'ok' : `FAILED: ${c.error ?? 'unknown'}`} (${c.ms} ms)`);
  if (ready.checks.length === 0) lines.push('    (no readiness checks configured)');
  return lines.join('\n');
}
