import pg from 'pg';
import type { Shot } from './load.js';

/** One row of the event store's `events` table (count group events: `data` is the ledger's facts). */
export interface StoredEvent {
  readonly position: bigint;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly data: {
    applicationId: string;
    origin: { requestId: string };
    request?: { cmid: string; clientTime: string; nPolicy: number };
    activeClients: number;
    reportedCount: number;
    highestNPolicy: number;
    hresult?: number;
  };
}

/** Count group streams (ledger-domain COUNT_GROUP_CATEGORY); the policy's host identities live in other streams. */
const COUNT_GROUP_PREFIX = 'countgroup:';

/** Runs `fn` with a short-lived connection. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every event of the schema in global order. */
export async function readEvents(url: string, schema: string): Promise<StoredEvent[]> {
  const rows = await withClient(url, (c) =>
    c.query<{ global_position: string; event_id: string; stream_id: string; stream_version: number; type: string; data: StoredEvent['data'] }>(
      `select global_position, event_id, stream_id, stream_version, type, data from "${schema}".events order by global_position`,
    ),
  );
  return rows.rows.map((r) => ({
    position: BigInt(r.global_position),
    eventId: r.event_id,
    streamId: r.stream_id,
    streamVersion: r.stream_version,
    type: r.type,
    data: r.data,
  }));
}

/** `cmid|clientTime`: one request of one machine (the load sends distinct ClientTimes). */
const keyOf = (cmid: string, clientTime: string) => `${cmid.toLowerCase()}|${clientTime}`;

/**
 * Every answered request (a verified response or an HRESULT) is in the store
 * exactly once, with the count (or HRESULT) the client got; no request is
 * stored twice (by CMID + ClientTime, and by request id); no answer was wrong.
 * Returns the problems (empty when all holds).
 */
export function answeredExactlyOnce(shots: readonly Shot[], events: readonly StoredEvent[]): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, StoredEvent[]>();
  const byRequestId = new Map<string, number>();
  for (const e of events) {
    if (!e.streamId.startsWith(COUNT_GROUP_PREFIX)) continue;
    byRequestId.set(e.data.origin.requestId, (byRequestId.get(e.data.origin.requestId) ?? 0) + 1);
    if (e.data.request === undefined) continue;
    const k = keyOf(e.data.request.cmid, e.data.request.clientTime);
    byKey.set(k, [...(byKey.get(k) ?? []), e]);
  }
  for (const [k, list] of byKey) if (list.length > 1) problems.push(`request ${k} stored ${list.length} times (${list.map((e) => `${e.streamId}@${e.streamVersion}`).join(', ')})`);
  for (const [id, n] of byRequestId) if (n > 1) problems.push(`request id ${id} stored ${n} times`);
  for (const s of shots) {
    if (s.status === 'wrong') {
      problems.push(`wrong answer from ${s.target}: ${s.failureKind ?? ''} ${s.detail ?? ''}`);
      continue;
    }
    if (s.status === 'failed') continue;
    const k = keyOf(s.machine.cmidKey, s.clientFileTime ?? '?');
    const stored = byKey.get(k) ?? [];
    if (stored.length !== 1) {
      problems.push(`answered request ${k} (${s.status} ${s.count ?? s.hresult}) is stored ${stored.length} times`);
      continue;
    }
    const e = stored[0]!;
    if (s.status === 'activated' && (e.type === 'ActivationRefused' || e.data.reportedCount !== s.count)) {
      problems.push(`request ${k} answered count ${s.count}, stored ${e.type} with count ${e.data.reportedCount}`);
    }
    if (s.status === 'hresult' && (e.type !== 'ActivationRefused' || e.data.hresult !== s.hresult)) {
      problems.push(`request ${k} answered HRESULT ${s.hresult}, stored ${e.type} ${e.data.hresult}`);
    }
  }
  return problems;
}

/** What the store's events say each count group counts now. */
export interface GroupTruth {
  readonly applicationId: string;
  readonly events: number;
  readonly distinctCmids: number;
  readonly highestNPolicy: number;
  /** min(distinct CMIDs, 2 x highest N-policy): the count to report. */
  readonly reportedCount: number;
}

/**
 * Replays each count group stream in the ledger's order and checks every event
 * against the truth recomputed from the events before it (every CMID is in the
 * 30-day window: the test runs in minutes): contiguous versions, ClientCounted
 * exactly for a CMID not seen before, activeClients = distinct CMIDs,
 * reportedCount = min(distinct, 2 x highest N-policy), counts never going down.
 */
export function replayCounts(events: readonly StoredEvent[]): { problems: string[]; groups: Map<string, GroupTruth> } {
  const problems: string[] = [];
  const streams = new Map<string, StoredEvent[]>();
  for (const e of events) if (e.streamId.startsWith(COUNT_GROUP_PREFIX)) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
  const groups = new Map<string, GroupTruth>();
  for (const [streamId, list] of streams) {
    list.sort((a, b) => a.streamVersion - b.streamVersion);
    const cmids = new Set<string>();
    let highest = 0;
    let lastCount = 0;
    list.forEach((e, i) => {
      const at = `${streamId}@${e.streamVersion}`;
      if (e.streamVersion !== i + 1) problems.push(`${at}: version gap (expected ${i + 1})`);
      const d = e.data;
      if (e.type === 'ClientCounted' || e.type === 'ClientRenewed') {
        const cmid = d.request!.cmid.toLowerCase();
        const isNew = !cmids.has(cmid);
        cmids.add(cmid);
        highest = Math.max(highest, d.request!.nPolicy);
        if ((e.type === 'ClientCounted') !== isNew) problems.push(`${at}: ${e.type} for a CMID ${isNew ? 'not seen' : 'already counted'} before`);
      }
      const expected = Math.min(cmids.size, 2 * highest);
      if (d.activeClients !== cmids.size) problems.push(`${at}: activeClients ${d.activeClients}, distinct CMIDs ${cmids.size}`);
      if (d.reportedCount !== expected) problems.push(`${at}: reportedCount ${d.reportedCount}, expected ${expected}`);
      if (d.reportedCount < lastCount) problems.push(`${at}: count went down from ${lastCount} to ${d.reportedCount}`);
      lastCount = d.reportedCount;
    });
    const applicationId = list[0]!.data.applicationId.toLowerCase();
    groups.set(applicationId, { applicationId, events: list.length, distinctCmids: cmids.size, highestNPolicy: highest, reportedCount: Math.min(cmids.size, 2 * highest) });
  }
  return { problems, groups };
}
