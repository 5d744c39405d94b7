import type { CountGroupRow, ThresholdStatus } from './counts.table.js';
import type { Projection } from './projection.js';

/** Threshold status of a count against the lowest and highest N-policy seen. */
export function thresholdStatus(count: number, lowestN: number | null, highestN: number | null): ThresholdStatus {
  if (lowestN === null || highestN === null || count < lowestN) return 'below';
  return count >= highestN ? 'met' : 'partial';
}

/** Projection `count_groups`: per application, the active CMIDs, the reported count, the N-policies and the threshold status. */
export const countsProjection: Projection<CountGroupRow, string> = {
  name: 'count_groups',
  keyOf: (event) => event.data.applicationId,
  evolve: (row, event) => {
    const { applicationId, activeClients, reportedCount, recordedAt, origin } = event.data;
    let lowest = row?.lowest_n_policy ?? null;
    let highest = row?.highest_n_policy ?? null;
    if (event.type !== 'ActivationRefused') {
      const n = event.data.request.nPolicy;
      lowest = lowest === null ? n : Math.min(lowest, n);
      highest = highest === null ? n : Math.max(highest, n);
    }
    return {
      application_id: applicationId,
      active_clients: activeClients,
      reported_count: reportedCount,
      highest_n_policy: highest,
      lowest_n_policy: lowest,
      threshold_status: thresholdStatus(reportedCount, lowest, highest),
      updated_at: new Date(recordedAt),
      last_request_id: origin.requestId,
    };
  },
  merge: (stored, delta) => {
    const lowest = minOrNull(stored.lowest_n_policy, delta.lowest_n_policy);
    const highest = maxOrNull(stored.highest_n_policy, delta.highest_n_policy);
    return { ...delta, lowest_n_policy: lowest, highest_n_policy: highest, threshold_status: thresholdStatus(delta.reported_count, lowest, highest) };
  },
};

// SQL's least/greatest: null only when both are.
const minOrNull = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOrNull = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));
