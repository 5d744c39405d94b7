import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromMs, msFromIso } from './iso-time.js';

describe('iso-time', () => {
  it('formats exactly like Date#toISOString, whatever the order of calls', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: 1_700_000_000_000, max: 1_700_000_002_000 }), fc.integer({ min: -1e13, max: 0 }))), (xs) => {
        for (const ms of xs) {
          const iso = isoFromMs(ms);
          expect(iso).toBe(new Date(ms).toISOString());
          expect(msFromIso(iso)).toBe(ms);
        }
      }),
    );
  });
});
