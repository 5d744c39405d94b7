import type { Projection } from './projection.js';
import type { RequestStatsRow } from './request-stats.table.js';

type StatusColumn = Exclude<keyof RequestStatsRow, 'application_id' | 'total_requests' | 'failed_requests' | 'updated_at'>;

/** Counter column of each license status value (index = LICENSE_STATUS value). */
export const LICENSE_STATUS_COLUMNS: readonly StatusColumn[] = [
  'unlicensed_requests',
  'licensed_requests',
  'oob_grace_requests',
  'oot_grace_requests',
  'non_genuine_grace_requests',
  'notification_requests',
  'extended_grace_requests',
];

/** Request statistics of a count group (domain view of a {@link RequestStatsRow}). */
export type RequestStats = Readonly<{
  applicationId: string;
  total: number;
  failed: number;
  /** Requests per license status, indexed by its value 0..6. */
  byLicenseStatus: readonly number[];
}>;

const emptyRow = (applicationId: string, at: Date): RequestStatsRow => ({
  application_id: applicationId,
  total_requests: 0,
  failed_requests: 0,
  unlicensed_requests: 0,
  licensed_requests: 0,
  oob_grace_requests: 0,
  oot_grace_requests: 0,
  non_genuine_grace_requests: 0,
  notification_requests: 0,
  extended_grace_requests: 0,
  updated_at: at,
});

/**
 * Projection `request_stats`. Every request counts in `total`, refused ones in
 * `failed`, and every request with a decoded body (accepted or refused) in the
 * column of its license status; a status outside 0..6 counts in `total` only.
 */
export const requestStatsProjection: Projection<RequestStatsRow, string> = {
  name: 'request_stats',
  keyOf: (event) => event.data.applicationId,
  evolve: (row, event) => {
    const at = new Date(event.data.recordedAt);
    const next: RequestStatsRow = { ...(row ?? emptyRow(event.data.applicationId, at)), updated_at: at };
    next.total_requests++;
    if (event.type === 'ActivationRefused') next.failed_requests++;
    const status = event.data.request?.licenseStatus;
    const column = status === undefined ? undefined : LICENSE_STATUS_COLUMNS[status];
    if (column !== undefined) next[column]++;
    return next;
  },
  merge: (stored, delta) => {
    const next: RequestStatsRow = { ...delta, total_requests: stored.total_requests + delta.total_requests, failed_requests: stored.failed_requests + delta.failed_requests };
    for (const c of LICENSE_STATUS_COLUMNS) next[c] = stored[c] + delta[c];
    return next;
  },
};

/** Row to domain mapper. */
export function requestStatsRowToStats(row: RequestStatsRow): RequestStats {
  return {
    applicationId: row.application_id,
    total: row.total_requests,
    failed: row.failed_requests,
    byLicenseStatus: LICENSE_STATUS_COLUMNS.map((c) => row[c]),
  };
}
