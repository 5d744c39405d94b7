import { KmsProtocolError } from './errors.js';

declare const brand: unique symbol;
/** A nominal type over a base type: `Brand<string, 'Cmid'>`. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A GUID in canonical lower-case form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export type Guid = Brand<string, 'Guid'>;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ASCII codes of each byte's two lower-case hex digits: byte v at [2v] and [2v + 1]. */
const HEX_CODES = new Uint8Array(512);
for (let v = 0; v < 256; v++) {
  HEX_CODES[2 * v] = '0123456789abcdef'.charCodeAt(v >> 4);
  HEX_CODES[2 * v + 1] = '0123456789abcdef'.charCodeAt(v & 15);
}
/** String index of the two hex digits of wire byte i (Data1..Data3 little-endian, Data4 as is). */
const WIRE_DIGIT_AT = Uint8Array.of(6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34);
/** guidFromBytes writes the digits here (the dashes stay) and makes the string in one allocation. */
const GUID_TEXT = Buffer.alloc(36, 0x2d);

export const NIL_GUID = '00000000-0000-0000-0000-000000000000' as Guid;

/** Parses a GUID string (any case, optional braces); throws on anything else. */
export function parseGuid(text: string): Guid {
  const s = text.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase();
  if (!GUID_RE.test(s)) throw new KmsProtocolError('BAD_VALUE', `not a GUID: ${JSON.stringify(text)}`, 0);
  return s as Guid;
}

export const isGuid = (text: string): boolean => GUID_RE.test(text);

/**
 * Reads a GUID in Microsoft's mixed-endian wire layout (Data1 u32le, Data2 u16le,
 * Data3 u16le, Data4 8 bytes as is) starting at `offset`.
 */
export function guidFromBytes(b: Uint8Array, offset = 0): Guid {
  if (offset + 16 > b.length) throw new KmsProtocolError('TRUNCATED', 'GUID needs 16 bytes', offset);
  // One flat string from a scratch buffer: concatenating 20 pieces made a rope of 19 cons strings per GUID,
  // and this runs for every syntax of a bind and every GUID of a request.
  for (let i = 0; i < 16; i++) {
    const v = b[offset + i]!;
    const at = WIRE_DIGIT_AT[i]!;
    GUID_TEXT[at] = HEX_CODES[2 * v]!;
    GUID_TEXT[at + 1] = HEX_CODES[2 * v + 1]!;
  }
  return GUID_TEXT.toString('latin1', 0, 36) as Guid;
}

/** Value of a hex digit by char code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}
/** The byte written as two hex digits at `text[at]`, or -1 if they are not hex digits. */
export function hexByteAt(text: string, at: number): number {
  const c1 = text.charCodeAt(at);
  const c2 = text.charCodeAt(at + 1);
  const hi = c1 < 128 ? HEX_VALUE[c1]! : -1;
  const lo = c2 < 128 ? HEX_VALUE[c2]! : -1;
  return (hi | lo) < 0 ? -1 : (hi << 4) | lo;
}

const WIRE_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

/** Writes a GUID in Microsoft's mixed-endian wire layout into `out` at `offset`. */
export function guidToBytes(g: Guid, out: Uint8Array = new Uint8Array(16), offset = 0): Uint8Array {
  // Fast path for the canonical 36-character form (every Guid this library makes).
  if (g.length === 36 && g.charCodeAt(8) === 45 && g.charCodeAt(13) === 45 && g.charCodeAt(18) === 45 && g.charCodeAt(23) === 45) {
    let bad = 0;
    for (let i = 0; i < 16; i++) {
      const v = hexByteAt(g, WIRE_DIGIT_AT[i]!);
      bad |= v;
      out[offset + i] = v;
    }
    if (bad >= 0) return out;
  }
  // Anything else keeps the original lenient parse (parseInt per digit pair).
  const hex = g.replace(/-/g, '');
  const byte = (i: number) => parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  for (let i = 0; i < 16; i++) out[offset + i] = byte(WIRE_ORDER[i]!);
  return out;
}
