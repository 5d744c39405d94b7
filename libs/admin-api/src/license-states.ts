import type { RequestStats } from './schemas.js';

/** A license state a KMS client reports in its request (kms-facts.md section 2). */
export interface LicenseState {
  readonly code: number;
  /** Query and CLI name. */
  readonly key: string;
  /** Field of RequestStats that counts requests in this state. */
  readonly stat: Exclude<keyof RequestStats, 'total' | 'failed'>;
  /** Prometheus label value. */
  readonly metric: string;
  /** Wording of `slmgr /dlv` ("Requests with License Status …"); extended grace is not in Microsoft's sample. */
  readonly label: string;
}

/** License states 0..6 in wire order (vlmcsd src/kms.h, py-kms licenseStates; labels from technet ff793426). */
export const LICENSE_STATES: readonly LicenseState[] = [
  { code: 0, key: 'unlicensed', stat: 'unlicensed', metric: 'unlicensed', label: 'Unlicensed' },
  { code: 1, key: 'licensed', stat: 'licensed', metric: 'licensed', label: 'Licensed' },
  { code: 2, key: 'initial-grace', stat: 'initialGrace', metric: 'initial_grace', label: 'Initial grace period' },
  { code: 3, key: 'oot-grace', stat: 'ootGrace', metric: 'oot_grace', label: 'License expired or Hardware out of tolerance' },
  { code: 4, key: 'non-genuine-grace', stat: 'nonGenuineGrace', metric: 'non_genuine_grace', label: 'Non-genuine grace period' },
  { code: 5, key: 'notification', stat: 'notification', metric: 'notification', label: 'Notification' },
  { code: 6, key: 'extended-grace', stat: 'extendedGrace', metric: 'extended_grace', label: 'Extended grace period' },
];

/** Name of a license status code; `status N` for codes outside 0..6. */
export const licenseStateName = (code: number): string => LICENSE_STATES[code]?.label ?? `status ${code}`;

/**
 * Parses a license status given as 0..6 or a name (`licensed`, `initial-grace`,
 * `initial_grace`, `oob-grace` …), case-insensitively; undefined when unknown.
 */
export function parseLicenseState(text: string): number | undefined {
  const t = text.trim().toLowerCase().replace(/_/g, '-');
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n < LICENSE_STATES.length ? n : undefined;
  }
  const aliases: Record<string, number> = { 'oob-grace': 2, 'out-of-tolerance': 3, 'non-genuine': 4, extended: 6 };
  return LICENSE_STATES.find((s) => s.key === t)?.code ?? aliases[t];
}

export const emptyRequestStats = (): RequestStats => ({
  total: 0,
  failed: 0,
  unlicensed: 0,
  licensed: 0,
  initialGrace: 0,
  ootGrace: 0,
  nonGenuineGrace: 0,
  notification: 0,
  extendedGrace: 0,
});

export function addRequestStats(a: RequestStats, b: RequestStats): RequestStats {
  const out = emptyRequestStats();
  for (const k of Object.keys(out) as (keyof RequestStats)[]) out[k] = a[k] + b[k];
  return out;
}
