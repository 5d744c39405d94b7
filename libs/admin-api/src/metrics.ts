import { findApplication } from '@kmsgrid/kms-catalog';
import { LICENSE_STATES } from './license-states.js';
import type { IngressCounters, LedgerStatus } from './schemas.js';
import { catalogThresholds, type HostInfo } from './status-view.js';

/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type MetricType = 'counter' | 'gauge';
type Labels = Readonly<Record<string, string>>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const formatValue = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** Writes families in the text format: HELP and TYPE once per family, samples right after. */
class ExpositionWriter {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();

  family(name: string, type: MetricType, help: string, samples: readonly (readonly [Labels, number])[]): void {
    if (this.seen.has(name)) throw new Error(`metric family ${name} written twice`);
    this.seen.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const entries = Object.entries(labels);
      const text = entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      this.lines.push(`${name}${text} ${formatValue(value)}`);
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Process figures, read by the route (process.memoryUsage, process.cpuUsage). */
export interface ProcessFigures {
  readonly residentMemoryBytes: number;
  readonly heapUsedBytes: number;
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly startTimeSeconds: number;
}

export interface MetricsInputs {
  readonly host: HostInfo;
  /** Null when cmid-ledger did not answer: its families are left out and kmsgrid_upstream_up says so. */
  readonly ledger: LedgerStatus | null;
  readonly ingress?: IngressCounters;
  readonly process: ProcessFigures;
}

const INGRESS: readonly { readonly key: keyof IngressCounters; readonly name: string; readonly type: MetricType; readonly help: string }[] = [
  { key: 'connectionsAccepted', name: 'kmsgrid_ingress_connections_accepted_total', type: 'counter', help: 'TCP connections accepted on the KMS port.' },
  { key: 'connectionsActive', name: 'kmsgrid_ingress_connections_active', type: 'gauge', help: 'TCP connections open on the KMS port.' },
  { key: 'connectionsDropped', name: 'kmsgrid_ingress_connections_dropped_total', type: 'counter', help: 'Connections refused or cut (connection cap, timeouts, protocol errors).' },
  { key: 'requests', name: 'kmsgrid_ingress_requests_total', type: 'counter', help: 'KMS activation requests received.' },
  { key: 'activated', name: 'kmsgrid_ingress_activated_total', type: 'counter', help: 'Requests answered with an activation response.' },
  { key: 'refused', name: 'kmsgrid_ingress_refused_total', type: 'counter', help: 'Requests answered with an HRESULT.' },
  { key: 'invalid', name: 'kmsgrid_ingress_invalid_total', type: 'counter', help: 'Requests that failed decoding or verification.' },
  { key: 'unavailable', name: 'kmsgrid_ingress_unavailable_total', type: 'counter', help: 'Requests left unanswered because the policy did not answer.' },
  { key: 'protocolErrors', name: 'kmsgrid_ingress_protocol_errors_total', type: 'counter', help: 'DCE/RPC protocol errors (faults, rejects, bad PDUs).' },
];

/**
 * Renders the Prometheus text: counts, active clients and request counters per
 * application (from the ledger), threshold state per N-policy (catalog), KMS
 * endpoint counters when present, and process figures.
 */
export function renderMetrics(inputs: MetricsInputs): string {
  const w = new ExpositionWriter();
  w.family('kmsgrid_build_info', 'gauge', 'Version and deployment mode of this process; always 1.', [
    [{ version: inputs.host.version, mode: inputs.host.mode }, 1],
  ]);
  w.family('kmsgrid_upstream_up', 'gauge', '1 when the upstream answered this scrape, 0 when not.', [[{ upstream: 'ledger' }, inputs.ledger === null ? 0 : 1]]);

  if (inputs.ledger !== null) {
    const apps = inputs.ledger.applications.map((a) => {
      const id = a.applicationId.toLowerCase();
      const catalog = findApplication(id);
      return { a, labels: { application: catalog?.name ?? a.name, application_id: id }, catalog };
    });
    w.family(
      'kmsgrid_count',
      'gauge',
      'Current count per application: what KMS clients are answered with (min(active clients, 2 x highest N-policy)).',
      apps.map(({ a, labels }) => [labels, a.reportedCount]),
    );
    w.family(
      'kmsgrid_active_clients',
      'gauge',
      'Distinct client machine IDs with an accepted request in the last 30 days, per application.',
      apps.map(({ a, labels }) => [labels, a.activeClients]),
    );
    w.family(
      'kmsgrid_threshold_met',
      'gauge',
      '1 when clients of this N-policy activate (count >= N-policy), per application.',
      apps.flatMap(({ a, labels, catalog }) =>
        (catalog === undefined ? [] : catalogThresholds(catalog)).map(
          (t) => [{ ...labels, n_policy: String(t.nPolicy) }, a.reportedCount >= t.nPolicy ? 1 : 0] as const,
        ),
      ),
    );
    w.family(
      'kmsgrid_requests_total',
      'counter',
      'Cumulative activation requests per application and the license state the client reported.',
      apps.flatMap(({ a, labels }) => LICENSE_STATES.map((s) => [{ ...labels, license_state: s.metric }, a.requests[s.stat]] as const)),
    );
    w.family(
      'kmsgrid_requests_failed_total',
      'counter',
      'Cumulative refused activation requests per application.',
      apps.map(({ a, labels }) => [labels, a.requests.failed]),
    );
  }

  if (inputs.ingress !== undefined) {
    for (const m of INGRESS) {
      const v = inputs.ingress[m.key];
      if (v !== undefined) w.family(m.name, m.type, m.help, [[{}, v]]);
    }
  }

  const p = inputs.process;
  w.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [[{}, p.residentMemoryBytes]]);
  w.family('process_heap_used_bytes', 'gauge', 'V8 heap in use in bytes.', [[{}, p.heapUsedBytes]]);
  w.family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.', [[{}, p.cpuUserSeconds]]);
  w.family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.', [[{}, p.cpuSystemSeconds]]);
  w.family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [[{}, p.cpuUserSeconds + p.cpuSystemSeconds]]);
  w.family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch in seconds.', [[{}, p.startTimeSeconds]]);
  return w.text();
}

/** Current figures of this process. */
export function readProcessFigures(): ProcessFigures {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    residentMemoryBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    startTimeSeconds: Math.floor(Date.now() / 1000 - process.uptime()),
  };
}
