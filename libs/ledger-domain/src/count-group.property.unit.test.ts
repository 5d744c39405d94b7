import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLICATIONS, COUNT_WINDOW_MS } from './constants.js';
import { toRecordActivationRequest } from './count-group.command.js';
import { evolve, initialState, recordActivation, type CountGroupState } from './count-group.decider.js';
import type { CountGroupEvent } from './count-group.events.js';
import { restore, snapshot } from './count-group.snapshot.js';
import { guid, recordMessage, T0 } from './testing/count-group.fixtures.js';

type Step = Readonly<{ app: 0 | 1; cmid: number; nPolicy: number; refused: boolean; dt: number; redeliver: boolean }>;

const HOUR = 3_600_000;
const step: fc.Arbitrary<Step> = fc.record({
  app: fc.constantFrom(0 as const, 1 as const),
  cmid: fc.integer({ min: 0, max: 24 }),
  nPolicy: fc.oneof(fc.constantFrom(5, 25), fc.integer({ min: 0, max: 40 })),
  refused: fc.nat(9).map((n) => n < 3),
  // Mostly small steps, sometimes a week or more than the window; sometimes a clock a little behind.
  dt: fc.oneof(fc.integer({ min: 0, max: 2 * HOUR }), fc.integer({ min: 0, max: 40 * 24 * HOUR }), fc.integer({ min: -60_000, max: 0 }), fc.constant(COUNT_WINDOW_MS)),
  redeliver: fc.boolean(),
});

/** The rule, computed naively from the list of accepted requests. */
class NaiveLedger {
  private readonly accepted: { cmid: number; at: number; nPolicy: number }[] = [];
  expected(s: Step, at: number): { count: number; newClient: boolean } {
    const inWindow = new Set(this.accepted.filter((a) => at - a.at < COUNT_WINDOW_MS).map((a) => a.cmid));
    const maxN = Math.max(0, ...this.accepted.map((a) => a.nPolicy));
    if (s.refused) return { count: Math.min(inWindow.size, 2 * maxN), newClient: false };
    const newClient = !inWindow.has(s.cmid);
    inWindow.add(s.cmid);
    this.accepted.push({ cmid: s.cmid, at, nPolicy: s.nPolicy });
    return { count: Math.min(inWindow.size, 2 * Math.max(maxN, s.nPolicy)), newClient };
  }
}

describe('CountGroup property: reported count = min(distinct CMIDs in the 30-day window, 2 x max N)', () => {
  it('holds for random request sequences over two applications, with re-deliveries; replay and restore agree', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150, size: 'max' }), (steps) => {
        const apps = [APPLICATIONS.windows, APPLICATIONS.office2013] as const;
        const states: CountGroupState[] = [initialState(), initialState()];
        const naive = [new NaiveLedger(), new NaiveLedger()];
        const events: CountGroupEvent[][] = [[], []];
        const clock = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
        let now = T0;
        for (const s of steps) {
          now += s.dt;
          const spec = {
            cmid: guid(s.cmid),
            applicationId: apps[s.app],
            nPolicy: s.nPolicy,
            ...(s.refused ? { refused: { hresult: 0xc004f042, reason: 'p' } } : {}),
          };
          const message = recordMessage(spec, new Date(now));
          const state = states[s.app] as CountGroupState;
          const run = () => {
            const r = recordActivation(state, toRecordActivationRequest(message, new Date(now)));
            for (const e of r.events) evolve(state, e);
            events[s.app]?.push(...r.events);
            return r;
          };
          const at = Math.max(now, clock[s.app] as number);
          clock[s.app] = at;
          const first = run();
          expect(first.events).toHaveLength(1);
          expect(first.reply).toEqual((naive[s.app] as NaiveLedger).expected(s, at));
          if (s.redeliver) {
            const again = run();
            expect(again.events).toEqual([]);
            expect(again.reply).toEqual(first.reply);
          }
        }
        for (const i of [0, 1]) {
          const live = snapshot(states[i] as CountGroupState);
          expect(snapshot((events[i] as CountGroupEvent[]).reduce(evolve, initialState()))).toEqual(live);
          expect(snapshot(restore(live))).toEqual(live);
        }
      }),
      { numRuns: 200 },
    );
  });
});
