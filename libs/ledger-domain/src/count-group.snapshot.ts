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

function inTimeOrder(xs: readonly { lastSeenAt: Date }[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i - 1] as { lastSeenAt: Date }).lastSeenAt.getTime() > (xs[i] as { lastSeenAt: Date }).lastSeenAt.getTime()) return false;
  return true;
}

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
  const active = inTimeOrder(s.active) ? s.active : [...s.active].sort((a, b) => a.lastSeenAt.getTime() - b.lastSeenAt.getTime());
  const latest = active.length > 0 ? (active[active.length - 1] as ActiveCmid).lastSeenAt.getTime() : Number.NEGATIVE_INFINITY;
  state.clock = Math.max(s.clock?.getTime() ?? Number.NEGATIVE_INFINITY, latest);
  const cutoff = state.clock - COUNT_WINDOW_MS;
  state.window.reserve(active.length);
  for (const a of active) {
    const t = a.lastSeenAt.getTime();
    if (t > cutoff) state.window.touch(a.cmid, t);
  }
  const given = s.recentRequests ?? [];
  const recent = inTimeOrder(given.map((r) => ({ lastSeenAt: r.at }))) ? given : [...given].sort((a, b) => a.at.getTime() - b.at.getTime());
  const dedupCutoff = state.clock - REQUEST_DEDUP_WINDOW_MS;
  for (const r of recent) {
    const t = r.at.getTime();
    if (t > dedupCutoff) state.recent.add(r.requestId, t, { count: r.count, newClient: r.newClient });
  }
  return state;
}
