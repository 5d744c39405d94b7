import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guidFromBytes, guidToBytes, hexByteAt, type Guid } from './guid.js';
import { toHex } from './hex.js';

/** The straightforward layout, as a reference for the table-driven code. */
function reference(g: string): string {
  const hex = g.replace(/-/g, '');
  const byte = (i: number) => parseInt(hex.slice(i * 2, i * 2 + 2), 16) & 0xff;
  return toHex(Uint8Array.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15], byte));
}

describe('GUID wire layout', () => {
  it('round-trips any 16 bytes, any case of hex digits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (b, upper) => {
        const g = guidFromBytes(b);
        expect(toHex(guidToBytes(g))).toBe(toHex(b));
        const u = (upper ? g.toUpperCase() : g) as Guid;
        expect(toHex(guidToBytes(u))).toBe(reference(u));
      }),
    );
  });

  it('keeps the lenient parse for strings that are not canonical GUIDs', () => {
    for (const s of ['0g000000-0000-0000-0000-000000000000', 'zz000000-0000-0000-0000-00000000000\u00e9', '{00000001-0000-0000-0000-000000000000}', '1-2']) {
      expect(toHex(guidToBytes(s as Guid)), s).toBe(reference(s));
    }
  });

  it('reads hex byte pairs and refuses anything else', () => {
    expect(hexByteAt('x1fA', 1)).toBe(0x1f);
    expect(hexByteAt('x1fA', 2)).toBe(0xfa);
    expect(hexByteAt('0g', 0)).toBe(-1);
    expect(hexByteAt('\u0130a', 0)).toBe(-1);
    expect(hexByteAt('a', 0)).toBe(-1);
  });
});
