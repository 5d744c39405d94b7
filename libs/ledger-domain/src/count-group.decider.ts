import type { LedgerRecordReply } from '@kmsgrid/contracts';
import { GuidWindow } from './guid-window.js';
import type { CountGroupCommand, CountRequestData, RefusedRequestData } from './count-group.command.js';
import type { ActivationRefused, ClientCounted, ClientRenewed, CountGroupEvent } from './count-group.events.js';
import { COUNT_WINDOW_MS, REQUEST_DEDUP_WINDOW_MS } from './constants.js';
import { LedgerDomainError } from './errors.js';
import { isoFromMs, msFromIso } from './iso-time.js';
import { RecentRequests, type RecordedReply } from './recent-requests.js';

/** emmett's Decider shape: pure decisions, state rebuilt by folding events with `evolve`. */
export type Decider<State, Command, Event> = Readonly<{
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}>;

/**
 * State of one count group (one application).
 *
 * Exception to immutability, for speed: the state holds up to millions of
 * CMIDs, so `evolve` updates it in place and returns the same object
 * (O(1) amortized per event) instead of copying. `decide` never mutates it.
 * Consequences: one state belongs to one stream and one writer; keep no old
 * reference expecting it unchanged; to branch, `restore(snapshot(state))`.
 */
export interface CountGroupState {
  /** The group's application id; null before the first event. */
  applicationId: string | null;
  /** Recording time of the last event applied (epoch ms); times never go back (see `decide`). */
  clock: number;
  /** Highest N-policy of the accepted requests; the count is capped at twice this. */
  highestNPolicy: number;
  /** Distinct CMIDs of accepted requests in the 30-day window, by last-seen time. */
  readonly window: GuidWindow;
  /** Request ids of the last minutes with their replies (idempotency). */
  readonly recent: RecentRequests;
}

/** A fresh, empty count group. */
export function initialState(): CountGroupState {
  return { applicationId: null, clock: Number.NEGATIVE_INFINITY, highestNPolicy: 0, window: new GuidWindow(), recent: new RecentRequests() };
}

/** Figures of a count group at a time: what a request arriving then would see before being counted. */
export type GroupCount = Readonly<{ activeClients: number; reportedCount: number; highestNPolicy: number }>;

/**
 * The count at `now` without recording anything (for status queries).
 * O(number of entries expired since the last event).
 */
export function countAt(state: CountGroupState, now: Date): GroupCount {
  const t = Math.max(now.getTime(), state.clock);
  const activeClients = state.window.size - state.window.countExpired(t - COUNT_WINDOW_MS);
  return { activeClients, reportedCount: Math.min(activeClients, 2 * state.highestNPolicy), highestNPolicy: state.highestNPolicy };
}

/**
 * Decides the event of a command. A request id already recorded within
 * {@link REQUEST_DEDUP_WINDOW_MS} yields no event: answer it with
 * {@link recordedReply} (or use {@link recordActivation}).
 *
 * Recording times are clamped to the last one of the stream, so replicas with
 * slightly different clocks cannot move a CMID back in time; the event carries
 * the clamped time.
 *
 * @throws LedgerDomainError `KMSG_ERR_LEDGER_WRONG_STREAM`, `KMSG_ERR_LEDGER_BAD_TIME`
 */
export function decide(command: CountGroupCommand, state: CountGroupState): CountGroupEvent[] {
  switch (command.type) {
    case 'RecordActivationRequest': {
      const d = command.data;
      assertStream(state, d.applicationId);
      const now = d.now.getTime();
      if (Number.isNaN(now)) throw new LedgerDomainError('KMSG_ERR_LEDGER_BAD_TIME', `recording time of request ${d.origin.requestId} is not a valid date`);
      const t = Math.max(now, state.clock);
      const previous = state.recent.get(d.origin.requestId);
      if (previous !== undefined && previous.at > t - REQUEST_DEDUP_WINDOW_MS) return [];
      return [d.decision.kind === 'count' ? counted(d as CountRequestData, t, state) : refused(d as RefusedRequestData, t, state)];
    }
    default: {
      const unknown: never = command.type;
      throw new Error(`unknown command ${String(unknown)}`);
    }
  }
}

function counted(d: CountRequestData, t: number, state: CountGroupState): ClientCounted | ClientRenewed {
  const cutoff = t - COUNT_WINDOW_MS;
  const activeBefore = state.window.size - state.window.countExpired(cutoff);
  const last = state.window.lastSeen(d.request.cmid);
  const inWindow = last !== undefined && last > cutoff;
  // The requesting client is counted before the count is returned (the 25th client sees 25).
  const activeClients = inWindow ? activeBefore : activeBefore + 1;
  const highestNPolicy = Math.max(state.highestNPolicy, d.request.nPolicy);
  const data = {
    applicationId: d.applicationId,
    recordedAt: isoFromMs(t),
    origin: d.origin,
    version: d.version,
    request: d.request,
    hostKeyId: d.decision.hostKeyId,
    activeClients,
    reportedCount: Math.min(activeClients, 2 * highestNPolicy),
    highestNPolicy,
  };
  return inWindow ? { type: 'ClientRenewed', data } : { type: 'ClientCounted', data };
}

function refused(d: RefusedRequestData, t: number, state: CountGroupState): ActivationRefused {
  const activeClients = state.window.size - state.window.countExpired(t - COUNT_WINDOW_MS);
  return {
    type: 'ActivationRefused',
    data: {
      applicationId: d.applicationId,
      recordedAt: isoFromMs(t),
      origin: d.origin,
      version: d.version,
      ...(d.request === undefined ? {} : { request: d.request }),
      hresult: d.decision.hresult,
      reason: d.decision.reason,
      activeClients,
      reportedCount: Math.min(activeClients, 2 * state.highestNPolicy),
      highestNPolicy: state.highestNPolicy,
    },
  };
}

/**
 * Applies an event to the state in place and returns it (see
 * {@link CountGroupState} on mutability). Expiry is incremental: each event
 * drops the CMIDs that left the window since the previous one.
 *
 * @throws LedgerDomainError `KMSG_ERR_LEDGER_WRONG_STREAM`
 */
export function evolve(state: CountGroupState, event: CountGroupEvent): CountGroupState {
  assertStream(state, event.data.applicationId);
  state.applicationId = event.data.applicationId;
  const t = Math.max(state.clock, msFromIso(event.data.recordedAt));
  state.clock = t;
  state.window.expire(t - COUNT_WINDOW_MS);
  state.recent.expire(t - REQUEST_DEDUP_WINDOW_MS);
  switch (event.type) {
    case 'ClientCounted':
    case 'ClientRenewed': {
      const { request, origin, reportedCount } = event.data;
      state.window.touch(request.cmid, t);
      if (request.nPolicy > state.highestNPolicy) state.highestNPolicy = request.nPolicy;
      state.recent.add(origin.requestId, t, { count: reportedCount, newClient: event.type === 'ClientCounted' });
      return state;
    }
    case 'ActivationRefused':
      state.recent.add(event.data.origin.requestId, t, { count: event.data.reportedCount, newClient: false });
      return state;
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

function assertStream(state: CountGroupState, applicationId: string): void {
  if (state.applicationId !== null && state.applicationId !== applicationId) {
    throw new LedgerDomainError('KMSG_ERR_LEDGER_WRONG_STREAM', `application ${applicationId} does not belong to count group ${state.applicationId}`);
  }
}

/** The count group decider (`{ decide, evolve, initialState }`). */
export const countGroupDecider: Decider<CountGroupState, CountGroupCommand, CountGroupEvent> = { decide, evolve, initialState };

/**
 * The reply to the policy, rebuilt from a stored event alone.
 *
 * @example replyOf(events[0]) // { count: 5, newClient: true }
 */
export function replyOf(event: CountGroupEvent): LedgerRecordReply {
  return { count: event.data.reportedCount, newClient: event.type === 'ClientCounted' };
}

/** The reply a request id got when it was recorded, while it is remembered. */
export function recordedReply(state: CountGroupState, requestId: string): RecordedReply | undefined {
  const r = state.recent.get(requestId);
  return r === undefined ? undefined : { count: r.count, newClient: r.newClient };
}

/**
 * Decides a command and says what to answer: the events to append (none for a
 * request already recorded) and the reply. Does not change the state; apply
 * the events with `evolve` once they are stored.
 *
 * @example const { events, reply } = recordActivation(state, toRecordActivationRequest(msg, new Date()));
 */
export function recordActivation(state: CountGroupState, command: CountGroupCommand): { events: CountGroupEvent[]; reply: LedgerRecordReply } {
  const events = decide(command, state);
  const first = events[0];
  if (first !== undefined) return { events, reply: replyOf(first) };
  return { events, reply: recordedReply(state, command.data.origin.requestId) as RecordedReply };
}
