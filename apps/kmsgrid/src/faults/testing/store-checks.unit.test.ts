// The fault tests are only as strong as their checks: each check must reject
// the defect it names (a duplicate, a lost answer, a wrong or falling count).
import { describe, expect, it } from 'vitest';
import type { LoadMachine, Shot } from './load.js';
import { answeredExactlyOnce, replayCounts, type StoredEvent } from './store-checks.js';

const APP = '55c92734-d682-4d71-983e-d6ec3f16059f';
const cmid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const machine = (i: number, nPolicy = 25): LoadMachine =>
  ({ product: 'p', applicationId: APP, cmid: cmid(i), cmidKey: cmid(i), workstation: `w${i}`, protocol: 6, nPolicy }) as LoadMachine;

let version = 0;
function event(i: number, time: string, type: string, activeClients: number, reportedCount: number, nPolicy = 25): StoredEvent {
  version++;
  return {
    position: BigInt(version),
    eventId: `e${version}`,
    streamId: `countgroup:${APP}`,
    streamVersion: version,
    type,
    data: { applicationId: APP, origin: { requestId: `r${version}` }, request: { cmid: cmid(i), clientTime: time, nPolicy }, activeClients, reportedCount, highestNPolicy: nPolicy },
  };
}
const shot = (i: number, time: string, count: number): Shot => ({ machine: machine(i), target: 't', startedAt: 0, endedAt: 1, clientFileTime: time, status: 'activated', count });

function history(): StoredEvent[] {
  version = 0;
  return [event(1, '100', 'ClientCounted', 1, 1), event(2, '101', 'ClientCounted', 2, 2), event(1, '102', 'ClientRenewed', 2, 2)];
}

describe('answeredExactlyOnce', () => {
  it('accepts answers stored once with their counts, and unanswered requests stored or not', () => {
    const failed: Shot = { ...shot(3, '103', 0), status: 'failed', failureKind: 'closed' };
    expect(answeredExactlyOnce([shot(1, '100', 1), shot(1, '102', 2), failed], history())).toEqual([]);
  });
  it('rejects an answer not stored, stored with another count, stored twice, a reused request id, a wrong answer', () => {
    const events = history();
    expect(answeredExactlyOnce([shot(2, '999', 2)], events)).toHaveLength(1);
    expect(answeredExactlyOnce([shot(2, '101', 3)], events)).toHaveLength(1);
    const dup = { ...events[1]!, eventId: 'x', streamVersion: 4, data: { ...events[1]!.data, origin: { requestId: 'other' } } };
    expect(answeredExactlyOnce([], [...events, dup])).toHaveLength(1);
    const sameId = { ...events[2]!, data: { ...events[2]!.data, origin: events[0]!.data.origin, request: { ...events[2]!.data.request!, clientTime: '555' } } };
    expect(answeredExactlyOnce([], [...events, sameId])).toHaveLength(1);
    expect(answeredExactlyOnce([{ ...shot(1, '100', 1), status: 'wrong', detail: 'bad hmac' }], events)).toHaveLength(1);
  });
});

describe('replayCounts', () => {
  it('recomputes the truth: distinct CMIDs, the cap at 2 x N', () => {
    version = 0;
    const events = [event(1, '1', 'ClientCounted', 1, 1, 1), event(2, '2', 'ClientCounted', 2, 2, 1), event(3, '3', 'ClientCounted', 3, 2, 1)];
    const { problems, groups } = replayCounts(events);
    expect(problems).toEqual([]);
    expect(groups.get(APP)).toMatchObject({ distinctCmids: 3, reportedCount: 2, highestNPolicy: 1 });
  });
  it('rejects an inflated count, a renewal counted as new, a version gap', () => {
    version = 0;
    expect(replayCounts([event(1, '1', 'ClientCounted', 1, 1), event(2, '2', 'ClientCounted', 3, 3)]).problems.length).toBeGreaterThan(0);
    version = 0;
    expect(replayCounts([event(1, '1', 'ClientCounted', 1, 1), event(1, '2', 'ClientCounted', 2, 2)]).problems.length).toBeGreaterThan(0);
    const gap = history();
    expect(replayCounts([gap[0]!, gap[2]!]).problems.length).toBeGreaterThan(0);
  });
});
