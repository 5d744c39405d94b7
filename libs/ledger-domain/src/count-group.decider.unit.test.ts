import { describe, expect, it } from 'vitest';
import { APPLICATIONS, COUNT_WINDOW_MS, NO_APPLICATION_ID, REQUEST_DEDUP_WINDOW_MS } from './constants.js';
import { toRecordActivationRequest } from './count-group.command.js';
import { countAt, decide, evolve, initialState, type CountGroupState } from './count-group.decider.js';
import { countGroupEventCodec, type CountGroupEvent } from './count-group.events.js';
import { restore, snapshot } from './count-group.snapshot.js';
import { LedgerDomainError } from './errors.js';
import { CountGroupHarness, day, givenEvents, guid, KMS_IDS, recordCommand, recordMessage, type RequestSpec } from './testing/count-group.fixtures.js';

type Kind = { nPolicy: number; kmsCountedId: string };
type Machine = Kind & { cmid: string };
const SERVER: Kind = { nPolicy: 5, kmsCountedId: KMS_IDS.server2008r2C };
const WIN7: Kind = { nPolicy: 25, kmsCountedId: KMS_IDS.windows7 };

const machines = (n: number, kind: Kind, from: number): Machine[] => Array.from({ length: n }, (_, i) => ({ cmid: guid(from + i), ...kind }));

/** Every machine asks, then every machine retries once (as clients in grace do); returns the count each saw on its retry. */
function askAndRetry(ms: readonly Machine[]) {
  const ledger = new CountGroupHarness();
  let minute = 0;
  const at = () => day(1 + minute++ / 1440);
  for (const m of ms) ledger.record(m, at());
  const seen = ms.map((m) => ({ ...m, count: ledger.record(m, at()).count }));
  return { ledger, seen, activated: seen.filter((m) => m.count >= m.nPolicy) };
}

describe('CountGroup: Microsoft "Table 1" (each machine asks, then retries once)', () => {
  it('4 x Server 2008 R2 (N=5) + 1 x Windows 7 (N=25): count 5, only the servers activate', () => {
    const { seen, activated } = askAndRetry([...machines(4, SERVER, 1), ...machines(1, WIN7, 100)]);
    expect(seen.map((m) => m.count)).toEqual([5, 5, 5, 5, 5]);
    expect(activated.map((m) => m.nPolicy)).toEqual([5, 5, 5, 5]);
  });

  it('1 server + 4 x Windows 7: count 5, only the server activates', () => {
    const { seen, activated } = askAndRetry([...machines(1, SERVER, 1), ...machines(4, WIN7, 100)]);
    expect(seen.every((m) => m.count === 5)).toBe(true);
    expect(activated.map((m) => m.nPolicy)).toEqual([5]);
  });

  it('1 server + 1 x Windows 7: count 2, nobody activates', () => {
    const { seen, activated } = askAndRetry([...machines(1, SERVER, 1), ...machines(1, WIN7, 100)]);
    expect(seen.map((m) => m.count)).toEqual([2, 2]);
    expect(activated).toEqual([]);
  });

  it('4 servers + 22 x Windows 7: count 26 (cap 50 once N=25 was seen), everyone activates', () => {
    const { seen, activated, ledger } = askAndRetry([...machines(4, SERVER, 1), ...machines(22, WIN7, 100)]);
    expect(seen.every((m) => m.count === 26)).toBe(true);
    expect(activated).toHaveLength(26);
    expect(ledger.state.highestNPolicy).toBe(25);
  });

  it('a servers-only environment caps at 10; a client with N=25 then raises the cap to 50', () => {
    const ledger = new CountGroupHarness();
    const counts = machines(12, SERVER, 1).map((m, i) => ledger.record(m, day(1 + i / 1440)).count);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
    expect(ledger.events.filter((e) => e.type === 'ClientCounted')).toHaveLength(12);
    expect(ledger.record(machines(1, WIN7, 100)[0] as Machine, day(2)).count).toBe(13);
  });

  it('the 25th Windows client sees 25 (it is counted before the count is returned)', () => {
    const ledger = new CountGroupHarness();
    const counts = machines(25, WIN7, 1).map((m, i) => ledger.record(m, day(1 + i / 1440)).count);
    expect(counts.at(-1)).toBe(25);
    expect(counts.at(0)).toBe(1);
  });
});

describe('CountGroup: the 30-day window (time injected)', () => {
  const A = guid(0xa), B = guid(0xb);

  it('Given A at day 0, When A asks at day 31, Then it is counted anew and the count is 1', () => {
    const first = givenEvents([]).when(recordCommand({ cmid: A }, day(0)));
    const r = givenEvents(first.events).when(recordCommand({ cmid: A }, day(31)));
    expect(r.events.map((e) => e.type)).toEqual(['ClientCounted']);
    expect(r.reply).toEqual({ count: 1, newClient: true });
  });

  it('Given A at day 0, When a new B asks at day 31, Then A has expired: count 1, only B in the window', () => {
    const first = givenEvents([]).when(recordCommand({ cmid: A }, day(0)));
    const r = givenEvents(first.events).when(recordCommand({ cmid: B }, day(31)));
    expect(r.reply).toEqual({ count: 1, newClient: true });
    expect([...r.state.window.entries()].map(([c]) => c)).toEqual([B]);
  });

  it('a CMID is in the window for exactly 30 days after it was last seen', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: A }, day(0));
    expect(ledger.record({ cmid: B }, new Date(day(0).getTime() + COUNT_WINDOW_MS - 1)).count).toBe(2);
    expect(countAt(ledger.state, new Date(day(0).getTime() + COUNT_WINDOW_MS))).toMatchObject({ activeClients: 1 });
  });

  it('a renewing CMID does not raise the count and stays in the window 30 days from its renewal', () => {
    const ledger = new CountGroupHarness();
    expect(ledger.record({ cmid: A }, day(0)).count).toBe(1);
    expect(ledger.record({ cmid: B }, day(1)).count).toBe(2);
    expect(ledger.record({ cmid: A }, day(20))).toEqual({ count: 2, newClient: false });
    expect(ledger.events.at(-1)?.type).toBe('ClientRenewed');
    // Day 40: B (day 1) has expired, A (renewed day 20) has not.
    expect(ledger.record({ cmid: A }, day(40))).toEqual({ count: 1, newClient: false });
  });

  it('recording times never go back: an earlier clock is clamped to the last event', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: A }, day(5));
    ledger.record({ cmid: B }, day(4));
    expect(ledger.events.at(-1)?.data.recordedAt).toBe(day(5).toISOString());
  });
});

describe('CountGroup: what is not counted', () => {
  const A = guid(0xa), C = guid(0xc);

  it('Given A counted, When a new C is refused with N=1000, Then C is recorded but not counted and the cap stays 2 x 25', () => {
    const given = givenEvents([]).when(recordCommand({ cmid: A }, day(0)));
    const r = givenEvents(given.events).when(recordCommand({ cmid: C, nPolicy: 1000, refused: { hresult: 0xc004f042, reason: 'not covered' } }, day(1)));
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ type: 'ActivationRefused', data: { hresult: 0xc004f042, activeClients: 1, reportedCount: 1, highestNPolicy: 25 } });
    expect(r.reply).toEqual({ count: 1, newClient: false });
    expect(r.state.window.size).toBe(1);
    expect(r.state.highestNPolicy).toBe(25);
  });

  it('a refused request whose body could not be decoded goes to the group without application', () => {
    const message = { ...recordMessage({ cmid: C }, day(0)), request: undefined, decision: { kind: 'refused' as const, hresult: 0x8007000d, reason: 'unknown version 7.0' } };
    const command = toRecordActivationRequest(message, day(0));
    expect(command.data.applicationId).toBe(NO_APPLICATION_ID);
    const r = givenEvents([]).when(command);
    expect(r.events[0]?.type).toBe('ActivationRefused');
    expect(r.events[0]?.data.request).toBeUndefined();
    expect(r.reply).toEqual({ count: 0, newClient: false });
  });

  it('Office and Windows are counted apart, even for the same CMID', () => {
    const groups = new Map<string, CountGroupHarness>();
    const record = (spec: RequestSpec, at: Date) => {
      const id = spec.applicationId ?? APPLICATIONS.windows;
      if (!groups.has(id)) groups.set(id, new CountGroupHarness());
      return (groups.get(id) as CountGroupHarness).record(spec, at);
    };
    expect(record({ cmid: A }, day(0)).count).toBe(1);
    expect(record({ cmid: C }, day(0)).count).toBe(2);
    expect(record({ cmid: A, applicationId: APPLICATIONS.office2013, nPolicy: 5 }, day(0))).toEqual({ count: 1, newClient: true });
    expect(record({ cmid: A, applicationId: APPLICATIONS.office2010, nPolicy: 5 }, day(0))).toEqual({ count: 1, newClient: true });
    expect(record({ cmid: guid(0xd) }, day(0)).count).toBe(3);
  });

  it('a command of another application is refused with a typed error, not applied', () => {
    const { state } = givenEvents([]).when(recordCommand({ cmid: A }, day(0)));
    const office = recordCommand({ cmid: A, applicationId: APPLICATIONS.office2013 }, day(1));
    expect(() => decide(office, state)).toThrow(LedgerDomainError);
    expect(() => decide(office, state)).toThrow(/KMSG_ERR_LEDGER_WRONG_STREAM/);
  });

  it('bad commands are typed errors: a count without a request, an invalid date', () => {
    const message = recordMessage({ cmid: A }, day(0));
    expect(() => toRecordActivationRequest({ ...message, request: undefined }, day(0))).toThrow(/KMSG_ERR_LEDGER_COUNT_WITHOUT_REQUEST/);
    expect(() => toRecordActivationRequest(message, new Date(Number.NaN))).toThrow(/KMSG_ERR_LEDGER_BAD_TIME/);
  });
});

describe('CountGroup: idempotent request ids', () => {
  const A = guid(0xa);

  it('Given a request recorded, When the same request id is recorded again, Then no event and the first reply', () => {
    const message = recordMessage({ cmid: A }, day(0));
    const first = givenEvents([]).when(toRecordActivationRequest(message, day(0)));
    const again = givenEvents(first.events).when(toRecordActivationRequest(message, new Date(day(0).getTime() + 5_000)));
    expect(again.events).toEqual([]);
    expect(again.reply).toEqual({ count: 1, newClient: true });
    expect(again.state.window.size).toBe(1);
  });

  it('a refused request re-delivered is not recorded twice either', () => {
    const message = recordMessage({ cmid: A, refused: { hresult: 0xc004f06c, reason: 'time' } }, day(0));
    const first = givenEvents([]).when(toRecordActivationRequest(message, day(0)));
    expect(decide(toRecordActivationRequest(message, day(0)), first.state)).toEqual([]);
  });

  it('after the dedup window a re-delivery is a renewal: the count still does not grow', () => {
    const message = recordMessage({ cmid: A }, day(0));
    const first = givenEvents([]).when(toRecordActivationRequest(message, day(0)));
    const late = givenEvents(first.events).when(toRecordActivationRequest(message, new Date(day(0).getTime() + REQUEST_DEDUP_WINDOW_MS + 1)));
    expect(late.events.map((e) => e.type)).toEqual(['ClientRenewed']);
    expect(late.reply.count).toBe(1);
  });
});

/** A mixed history: 60 clients over 90 days, renewals, refusals, servers and clients. */
function history(): { ledger: CountGroupHarness; more: RequestSpec[] } {
  const ledger = new CountGroupHarness();
  for (let i = 0; i < 400; i++) {
    const n = (i * 7919) % 60;
    ledger.record({ cmid: guid(n), ...(n % 3 === 0 ? SERVER : WIN7), ...(i % 11 === 0 ? { refused: { hresult: 0xc004f042, reason: 'x' } } : {}) }, day(i * 0.2));
  }
  return { ledger, more: [{ cmid: guid(1) }, { cmid: guid(999) }, { cmid: guid(3), ...SERVER }] };
}

const replay = (events: readonly CountGroupEvent[]): CountGroupState => events.reduce(evolve, initialState());

describe('CountGroup: rebuilding the state', () => {
  it('every decided event passes the event schema and survives a JSON round trip', () => {
    const { ledger } = history();
    for (const e of ledger.events) expect(countGroupEventCodec.decode(countGroupEventCodec.encode(e))).toEqual(e);
  });

  it('a full replay of the events gives the live state', () => {
    const { ledger } = history();
    const parsed = ledger.events.map((e) => countGroupEventCodec.decode(countGroupEventCodec.encode(e)));
    expect(snapshot(replay(parsed))).toEqual(snapshot(ledger.state));
  });

  it('restore(snapshot(live)) decides exactly like the live state', () => {
    const { ledger, more } = history();
    const restored = restore(snapshot(ledger.state));
    expect(snapshot(restored)).toEqual(snapshot(ledger.state));
    const s = snapshot(ledger.state);
    const shuffled = restore({ ...s, active: [...s.active].reverse(), recentRequests: [...(s.recentRequests ?? [])].reverse() });
    expect(snapshot(shuffled)).toEqual(s);
    for (const [i, spec] of more.entries()) {
      const command = recordCommand(spec, day(80 + i));
      const live = givenEvents([], ledger.state).when(command);
      const again = givenEvents([], restored).when(command);
      expect(again.events).toEqual(live.events);
    }
  });

  it('a snapshot drops what has left the windows', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: guid(1) }, day(0));
    ledger.record({ cmid: guid(2) }, day(29));
    ledger.record({ cmid: guid(2), refused: { hresult: 1, reason: 'x' } }, day(30));
    const s = snapshot(ledger.state);
    expect(s.active.map((a) => a.cmid)).toEqual([guid(2)]);
    expect(s.recentRequests).toHaveLength(1);
    expect(s.clock).toEqual(day(30));
  });

  it('an empty group snapshots and restores to an empty group', () => {
    expect(snapshot(restore(snapshot(initialState())))).toEqual(snapshot(initialState()));
  });
});
