import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuidWindow } from './guid-window.js';
import { LedgerDomainError } from './errors.js';
import { guid } from './testing/count-group.fixtures.js';

const A = guid(0xa);
const B = guid(0xb);
const C = guid(0xc);

describe('GuidWindow (the count window and the request-id memory)', () => {
  it('Given A at 1 and B at 2, When A renews at 3, Then expiring at 2 drops only B (A has a stale entry at 1)', () => {
    const w = new GuidWindow();
    expect(w.touch(A, 1)).toBe(true);
    expect(w.touch(B, 2)).toBe(true);
    expect(w.touch(A, 3)).toBe(false);
    expect(w.countExpired(2)).toBe(1);
    expect(w.size).toBe(2);
    expect(w.expire(2)).toBe(1);
    expect([...w.entries()].map(([k, t]) => [k, t])).toEqual([[A, 3]]);
    expect(w.lastSeen(B)).toBeUndefined();
  });

  it('reuses a freed slot without confusing the new CMID with the old one', () => {
    const w = new GuidWindow();
    w.touch(A, 1);
    w.touch(A, 1); // same instant: no second queue entry
    w.expire(1);
    expect(w.touch(C, 1)).toBe(true); // takes A's slot, at the same instant
    expect(w.expire(0)).toBe(0);
    expect([...w.entries()].map(([k, t]) => [k, t])).toEqual([[C, 1]]);
    expect(w.expire(1)).toBe(1);
    expect(w.size).toBe(0);
    // A failed parse must not leave a half-parsed key behind for the previous CMID.
    w.touch(A, 1);
    expect(() => w.touch(`${B.slice(0, 30)}zzzzzz`, 2)).toThrow(LedgerDomainError);
    expect(w.lastSeen(A)).toBe(1);
    expect(w.touch(A, 3)).toBe(false);
  });

  it('keys on the 128 bits of the GUID: case does not matter, entries come back in lower case', () => {
    const w = new GuidWindow();
    const mixed = '6F0F6A3C-1111-4AAA-8BBB-00000000000F';
    expect(w.touch(mixed, 1)).toBe(true);
    expect(w.touch(mixed.toLowerCase(), 2)).toBe(false);
    expect([...w.entries()].map(([k, t]) => [k, t])).toEqual([[mixed.toLowerCase(), 2]]);
  });

  it('a string that is not a GUID is a typed error', () => {
    const w = new GuidWindow();
    for (const bad of ['', 'A', `${A.slice(0, 35)}g`, A.replace(/-/g, '_'), `${A}0`]) {
      expect(() => w.touch(bad, 1)).toThrow(LedgerDomainError);
      expect(() => w.lastSeen(bad)).toThrow(/KMSG_ERR_LEDGER_BAD_GUID/);
    }
    expect(w.size).toBe(0);
    // A failed parse must not leave a half-parsed key behind for the previous CMID.
    w.touch(A, 1);
    expect(() => w.touch(`${B.slice(0, 30)}zzzzzz`, 2)).toThrow(LedgerDomainError);
    expect(w.lastSeen(A)).toBe(1);
    expect(w.touch(A, 3)).toBe(false);
  });

  it('holds 100,000 CMIDs through index rebuilds, entry growth and full expiry', () => {
    const w = new GuidWindow();
    for (let i = 0; i < 100_000; i++) w.touch(guid(i), i);
    expect(w.size).toBe(100_000);
    expect(w.lastSeen(guid(77_777))).toBe(77_777);
    expect(w.expire(49_999)).toBe(50_000);
    expect(w.lastSeen(guid(7))).toBeUndefined();
    for (let i = 100_000; i < 150_000; i++) w.touch(guid(i), i); // reuses the freed ids
    expect(w.size).toBe(100_000);
    expect(w.expire(200_000)).toBe(100_000);
    expect([...w.entries()]).toEqual([]);
  });

  it('raises a time earlier than the latest one', () => {
    const w = new GuidWindow();
    w.touch(A, 10);
    w.touch(B, 5);
    expect(w.lastSeen(B)).toBe(10);
  });

  it('agrees with a plain Map for random touches and expiries, across queue growth and compaction', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('touch' as const), cmid: fc.integer({ min: 0, max: 300 }), dt: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('expire' as const), age: fc.integer({ min: 0, max: 400 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const w = new GuidWindow();
        const model = new Map<string, number>();
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'touch') {
            now += o.dt;
            const key = guid(o.cmid * 0x10001);
            expect(w.touch(key, now)).toBe(!model.has(key));
            model.set(key, now);
          } else {
            const cutoff = now - o.age;
            const gone = [...model].filter(([, t]) => t <= cutoff).map(([k]) => k);
            expect(w.countExpired(cutoff)).toBe(gone.length);
            expect(w.expire(cutoff)).toBe(gone.length);
            for (const k of gone) model.delete(k);
          }
          expect(w.size).toBe(model.size);
        }
        const expected = [...model].sort((a, b) => a[1] - b[1]);
        expect([...w.entries()].map(([, t]) => t)).toEqual(expected.map(([, t]) => t));
        expect(new Map([...w.entries()].map(([k, t]) => [k, t]))).toEqual(model);
      }),
      { numRuns: 100 },
    );
  });
});
