import { COUNT_WINDOW_MS, REQUEST_DEDUP_WINDOW_MS } from './constants.js';
import { initialState, type CountGroupState } from './count-group.decider.js';

/** A CMID of the window: in the service, a clients row of the last 30 days (`cmid`, `last_counted_at`). */
export type ActiveCmid = Readonly<{ cmid: string; lastSeenAt: Date }>;

/** A remembered request id and its reply. */
export type RecentRequest = Readonly<{ requestId: string; at: Date; count: number; newClient: boolean }>;

/**
 * What is needed to rebuild a count group without replaying its stream. A
 * service can build it from its projections at start: the clients rows whose
 * `last_counted_at` is in the last 30 days and the counts row of the group.
 */
export type CountGroupSnapshot = Readonly<{
  /** null for a group that has recorded nothing. */
  applicationId: string | null;
  highestNPolicy: number;
  /** Recording time of the last event; defaults to the latest `lastSeenAt`. */
  clock?: Date;
  /** Any order; entries outside the window at `clock` are ignored. A CMID listed twice keeps its latest time. */
  active: readonly ActiveCmid[];
  /** Optional: without it a request re-delivered right after a restart is recorded once more (the count is unaffected). */
  recentRequests?: readonly RecentRequest[];
}>;

/**
 * The live part of a state: CMIDs still in the window and request ids still
 * remembered at its clock, oldest first. `restore(snapshot(s))` decides
 * exactly like `s`.
 */
export function snapshot(state: CountGroupState): CountGroupSnapshot {
  if (state.applicationId === null) return { applicationId: null, highestNPolicy: 0, active: [], recentRequests: [] };
  const cutoff = state.clock - COUNT_WINDOW_MS;
  const active: ActiveCmid[] = [];
  for (const [cmid, lastSeen] of state.window.entries()) if (lastSeen > cutoff) active.push({ cmid, lastSeenAt: new Date(lastSeen) });
  const dedupCutoff = state.clock - REQUEST_DEDUP_WINDOW_MS;
  const recentRequests: RecentRequest[] = [];
  for (const r of state.recent.entries()) {
    if (r.at > dedupCutoff) recentRequests.push({ requestId: r.requestId, at: new Date(r.at), count: r.count, newClient: r.newClient });
  }
  return { applicationId: state.applicationId, highestNPolicy: state.highestNPolicy, clock: new Date(state.clock), active, recentRequests };
}

const inTimeOrder = (xs: readonly { t: number }[]): boolean => xs.every((x, i) => i === 0 || (xs[i - 1] as { t: number }).t <= x.t);

/**
 * Rebuilds a state from a snapshot: O(n) when the rows come in time order
 * (`ORDER BY last_counted_at`), O(n log n) otherwise (it sorts them).
 *
 * @example const state = restore({ applicationId, highestNPolicy: row.highest_n_policy, active: rows.map(cmidRowToActiveCmid) });
 */
export function restore(s: CountGroupSnapshot): CountGroupState {
  const state = initialState();
  if (s.applicationId === null) return state;
  state.applicationId = s.applicationId;
  state.highestNPolicy = s.highestNPolicy;
  const active = s.active.map((a) => ({ cmid: a.cmid, t: a.lastSeenAt.getTime() }));
  if (!inTimeOrder(active)) active.sort((a, b) => a.t - b.t);
  const latest = active.length > 0 ? (active[active.length - 1] as { t: number }).t : Number.NEGATIVE_INFINITY;
  state.clock = Math.max(s.clock?.getTime() ?? Number.NEGATIVE_INFINITY, latest);
  const cutoff = state.clock - COUNT_WINDOW_MS;
  for (const a of active) if (a.t > cutoff) state.window.touch(a.cmid, a.t);
  const recent = (s.recentRequests ?? []).map((r) => ({ ...r, t: r.at.getTime() }));
  if (!inTimeOrder(recent)) recent.sort((a, b) => a.t - b.t);
  const dedupCutoff = state.clock - REQUEST_DEDUP_WINDOW_MS;
  for (const r of recent) if (r.t > dedupCutoff) state.recent.add(r.requestId, r.t, { count: r.count, newClient: r.newClient });
  return state;
}
