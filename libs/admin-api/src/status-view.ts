import { APPLICATIONS, KMS_ITEMS, findApplication, findHostKey, findKmsItem, type Application, type ProductKind } from '@kmsgrid/kms-catalog';
import { addRequestStats, emptyRequestStats } from './license-states.js';
import type {
  ApplicationView,
  DnsView,
  HostKeyView,
  IngressCounters,
  LedgerApplication,
  LedgerStatus,
  PolicyStatus,
  StatusView,
  ThresholdView,
} from './schemas.js';

/** Process facts shown with the status. */
export interface HostInfo {
  /** KMS listening addresses, `host:port`. */
  readonly listen: readonly string[];
  readonly version: string;
  readonly mode: 'all-in-one' | 'split';
}

export interface StatusInputs {
  readonly policy: PolicyStatus;
  readonly ledger: LedgerStatus;
  readonly host: HostInfo;
  readonly startedAt: Date;
  readonly now: Date;
  readonly ingress?: IngressCounters;
  readonly dns?: DnsView;
}

const KIND_LABEL: Record<ProductKind, string> = { client: 'client', server: 'Server', office: '' };

/**
 * N-policies of an application's volume products in the catalog, each with who
 * asks with it: Windows has 25 (client OS) and 5 (server OS); Office has 5
 * (kms-facts.md section 1).
 */
export function catalogThresholds(app: Application): readonly { readonly nPolicy: number; readonly label: string }[] {
  const items = KMS_ITEMS.filter((k) => k.applicationId === app.id);
  const volume = items.filter((k) => k.channel === 'volume');
  const byN = new Map<number, Set<ProductKind>>();
  for (const k of volume.length > 0 ? volume : items) {
    const kinds = byN.get(k.nPolicy) ?? new Set<ProductKind>();
    kinds.add(k.kind);
    byN.set(k.nPolicy, kinds);
  }
  const base = app.kind === 'windows' ? 'Windows' : 'Office';
  return [...byN.entries()]
    .sort(([a], [b]) => a - b)
    .map(([nPolicy, kinds]) => ({
      nPolicy,
      label: [...kinds]
        .sort()
        .map((k) => `${base} ${KIND_LABEL[k]}`.trim())
        .join(' / '),
    }));
}

function applicationView(
  applicationId: string,
  ledger: LedgerApplication | undefined,
  catalogApp: Application | undefined,
  hostKeyIds: readonly string[],
): ApplicationView {
  const count = ledger?.reportedCount ?? 0;
  const highest = ledger?.highestNPolicy ?? 0;
  const catalogRows = catalogApp === undefined ? [] : catalogThresholds(catalogApp);
  // An application the catalog does not know: the one threshold the ledger has seen.
  const rows = catalogRows.length > 0 ? catalogRows : highest > 0 ? [{ nPolicy: highest, label: 'clients' }] : [];
  const thresholds: ThresholdView[] = rows.map((r) => ({
    nPolicy: r.nPolicy,
    label: r.label,
    activates: count >= r.nPolicy,
    missing: Math.max(0, r.nPolicy - count),
  }));
  const activating = thresholds.filter((t) => t.activates).length;
  const requests = ledger?.requests ?? emptyRequestStats();
  const status: ApplicationView['status'] =
    requests.total === 0 && count === 0 ? 'idle' : activating === 0 ? 'below' : activating < thresholds.length ? 'partial' : 'met';
  const maxN = Math.max(highest, ...rows.map((r) => r.nPolicy));
  return {
    applicationId,
    name: catalogApp?.name ?? ledger?.name ?? applicationId,
    activeClients: ledger?.activeClients ?? 0,
    currentCount: count,
    cap: highest > 0 ? 2 * highest : null,
    maxCount: catalogApp?.minActiveClients ?? 2 * maxN,
    highestNPolicy: highest,
    status,
    thresholds,
    hostKeyIds: [...hostKeyIds],
    lastRequestAt: ledger?.lastRequestAt ?? null,
    requests,
  };
}

function hostKeyView(k: PolicyStatus['hostKeys'][number]): HostKeyView {
  const catalog = findHostKey(k.id);
  const app = catalog === undefined ? undefined : findApplication(catalog.applicationId);
  return {
    id: k.id,
    name: k.name,
    group: k.group,
    groupLabel: k.groupLabel ?? catalog?.groupLabel ?? null,
    generation: k.generation,
    applicationId: app?.id ?? null,
    applicationName: app?.name ?? null,
    epid: k.epid,
    hwid: k.hwid === null ? null : k.hwid.toUpperCase(),
    identitySource: k.hwidSource !== undefined && k.hwidSource !== k.identitySource ? 'mixed' : k.identitySource,
    coveredProducts: (Array.isArray(k.coveredProducts) ? k.coveredProducts : (catalog?.covers ?? []).map((kmsCountedId): { kmsCountedId: string; name?: string } => ({ kmsCountedId }))).map((p) => ({
      kmsCountedId: p.kmsCountedId.toLowerCase(),
      name: p.name ?? findKmsItem(p.kmsCountedId)?.name ?? p.kmsCountedId.toLowerCase(),
    })),
  };
}

/**
 * The `slmgr /dlv` view: host keys with their ePIDs, and per application the
 * current count against each N-policy's threshold and the cumulative requests.
 * Applications appear in catalog order when the ledger has seen them or a host
 * key covers them; ones the catalog does not know follow.
 */
export function buildStatusView(inputs: StatusInputs): StatusView {
  const hostKeys = inputs.policy.hostKeys.map(hostKeyView);
  const ledgerById = new Map(inputs.ledger.applications.map((a) => [a.applicationId.toLowerCase(), a]));
  const keysByApp = new Map<string, string[]>();
  for (const k of hostKeys) {
    if (k.applicationId === null) continue;
    keysByApp.set(k.applicationId, [...(keysByApp.get(k.applicationId) ?? []), k.id]);
  }
  const applications: ApplicationView[] = [];
  for (const app of APPLICATIONS) {
    const ledger = ledgerById.get(app.id);
    const keys = keysByApp.get(app.id) ?? [];
    if (ledger === undefined && keys.length === 0) continue;
    applications.push(applicationView(app.id, ledger, app, keys));
  }
  for (const [id, ledger] of ledgerById) {
    if (findApplication(id) === undefined) applications.push(applicationView(id, ledger, undefined, []));
  }
  const view: StatusView = {
    generatedAt: inputs.now.toISOString(),
    ledgerAt: inputs.ledger.at,
    host: {
      version: inputs.host.version,
      mode: inputs.host.mode,
      listen: [...inputs.host.listen],
      startedAt: inputs.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((inputs.now.getTime() - inputs.startedAt.getTime()) / 1000)),
    },
    intervals: { activationMinutes: inputs.policy.activationIntervalMinutes, renewalMinutes: inputs.policy.renewalIntervalMinutes },
    clockToleranceMinutes: inputs.policy.clockToleranceMinutes,
    hostKeys,
    applications,
    totals: {
      activeClients: applications.reduce((n, a) => n + a.activeClients, 0),
      requests: applications.reduce((s, a) => addRequestStats(s, a.requests), emptyRequestStats()),
    },
  };
  return {
    ...view,
    ...(inputs.ingress !== undefined && { ingress: inputs.ingress }),
    ...(inputs.dns !== undefined && { dns: inputs.dns }),
  };
}
