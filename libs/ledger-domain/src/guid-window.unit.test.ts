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

  it('a table rebuild with stale queue entries keeps every GUID, its time and the expiry order', () => {
    const w = new GuidWindow();
    const model = new Map<string, number>();
    const touch = (k: string, t: number) => (w.touch(k, t), model.set(k, t));
    for (let i = 0; i < 1000; i++) touch(guid(i), i);
    for (let i = 0; i < 500; i++) touch(guid(i), 1000 + i); // 500 stale queue entries
    w.reserve(20_000); // a rebuild by request, with stale entries in the queue
    for (let i = 1000; i < 3000; i++) touch(guid(i), 1500 + i); // forces rebuilds
    expect(w.size).toBe(3000);
    expect([...w.entries()].map(([k, t]) => [k, t])).toEqual([...model].sort((a, b) => a[1] - b[1]));
    for (const cutoff of [499, 999, 1499, 2500, 10_000]) {
      const gone = [...model].filter(([, t]) => t <= cutoff);
      expect(w.expire(cutoff)).toBe(gone.length);
      for (const [k] of gone) model.delete(k);
      expect(w.size).toBe(model.size);
      for (const [k, t] of model) if (w.lastSeen(k) !== t) expect(w.lastSeen(k)).toBe(t);
    }
  });

  it('raises a time earlier than the latest one', () => {
    const w = new GuidWindow();
    w.touch(A, 10);
    w.touch(B, 5);
    expect(w.lastSeen(B)).toBe(10);
  });

  it.each([
    { keys: 300, maxLength: 3000, numRuns: 25 },
    // Enough keys and tombstones to rebuild the table (and remap the queue) several times.
    { keys: 5000, maxLength: 12000, numRuns: 5 },
  ])('agrees with a plain Map for random touches and expiries ($keys keys): queue growth, compaction, table rebuilds', ({ keys, maxLength, numRuns }) => {
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('touch' as const), cmid: fc.integer({ min: 0, max: keys }), dt: fc.integer({ min: 0, max: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), age: fc.integer({ min: 0, max: 400 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength, size: 'max' }), (ops) => {
        const w = new GuidWindow();
        const model = new Map<string, number>();
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'touch') {
            now += o.dt;
            const key = guid(o.cmid * 0x10001);
            if (w.touch(key, now) !== !model.has(key)) expect.fail(`touch ${key} new=${!model.has(key)}`);
            model.set(key, now);
          } else {
            const cutoff = now - o.age;
            const gone = [...model].filter(([, t]) => t <= cutoff).map(([k]) => k);
            expect(w.countExpired(cutoff)).toBe(gone.length);
            expect(w.expire(cutoff)).toBe(gone.length);
            for (const k of gone) model.delete(k);
          }
          if (w.size !== model.size) expect(w.size).toBe(model.size);
        }
        const expected = [...model].sort((a, b) => a[1] - b[1]);
        expect([...w.entries()].map(([, t]) => t)).toEqual(expected.map(([, t]) => t));
        expect(new Map([...w.entries()].map(([k, t]) => [k, t]))).toEqual(model);
      }),
      { numRuns },
    );
  });
});
