import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLICATIONS } from '../constants.js';
import { toRecordActivationRequest } from '../count-group.command.js';
import { evolve, initialState, recordActivation, type CountGroupState } from '../count-group.decider.js';
import type { CountGroupEvent } from '../count-group.events.js';
import { guid, recordMessage, T0 } from '../testing/count-group.fixtures.js';
import { clientsProjection } from './clients.projection.js';
import { countsProjection } from './counts.projection.js';
import type { Projection } from './projection.js';
import { requestStatsProjection } from './request-stats.projection.js';

type Step = Readonly<{ app: 0 | 1; cmid: number; nPolicy: number; refused: boolean; licenseStatus: number; dt: number }>;

const step: fc.Arbitrary<Step> = fc.record({
  app: fc.constantFrom(0 as const, 1 as const),
  cmid: fc.integer({ min: 0, max: 12 }),
  nPolicy: fc.oneof(fc.constantFrom(5, 25), fc.integer({ min: 0, max: 40 })),
  refused: fc.nat(9).map((n) => n < 3),
  licenseStatus: fc.integer({ min: 0, max: 6 }),
  dt: fc.integer({ min: 0, max: 3 * 24 * 3_600_000 }),
});

/** The events a live ledger records for `steps`, in order. */
function eventsOf(steps: readonly Step[]): CountGroupEvent[] {
  const apps = [APPLICATIONS.windows, APPLICATIONS.office2013] as const;
  const states: CountGroupState[] = [initialState(), initialState()];
  const out: CountGroupEvent[] = [];
  let now = T0;
  for (const s of steps) {
    now += s.dt;
    const message = recordMessage(
      { cmid: guid(s.cmid), applicationId: apps[s.app], nPolicy: s.nPolicy, licenseStatus: s.licenseStatus, ...(s.refused ? { refused: { hresult: 0xc004f042, reason: 'p' } } : {}) },
      new Date(now),
    );
    const state = states[s.app]!;
    const r = recordActivation(state, toRecordActivationRequest(message, new Date(now)));
    for (const e of r.events) evolve(state, e);
    out.push(...r.events);
  }
  return out;
}

/** Folds events into a keyed table from `table` (not mutated), as a projection worker would. */
function fold<Row, Key>(p: Projection<Row, Key>, events: readonly CountGroupEvent[], table = new Map<string, Row>()): Map<string, Row> {
  const next = new Map(table);
  for (const e of events) {
    const key = p.keyOf(e);
    if (key === null) continue;
    const k = JSON.stringify(key);
    const row = p.evolve(next.get(k) ?? null, e);
    if (row !== null) next.set(k, row);
  }
  return next;
}

/** What the ledger's group commit does: fold each batch from empty rows, then merge into the stored rows. */
function foldInBatches<Row, Key>(p: Projection<Row, Key>, batches: readonly (readonly CountGroupEvent[])[]): Map<string, Row> {
  const stored = new Map<string, Row>();
  for (const batch of batches) {
    for (const [k, delta] of fold(p, batch)) {
      const old = stored.get(k);
      stored.set(k, old === undefined ? delta : p.merge(old, delta));
    }
  }
  return stored;
}

function split<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const at = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const c of [...at, items.length]) {
    out.push(items.slice(from, c));
    from = c;
  }
  return out;
}

describe('projection merge: merge(stored, fold(null, batch)) = fold(stored, batch)', () => {
  const projections = [clientsProjection, countsProjection, requestStatsProjection] as readonly Projection<unknown, unknown>[];
  for (const p of projections) {
    it(`${p.name}: folding in any batches equals folding all events at once`, () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), fc.array(fc.nat(), { maxLength: 8 }), (steps, cuts) => {
          const events = eventsOf(steps);
          expect(foldInBatches(p, split(events, cuts))).toEqual(fold(p, events));
        }),
        { numRuns: 300 },
      );
    });
  }
});
