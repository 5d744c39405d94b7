import { KmsProtocolError } from './errors.js';

declare const brand: unique symbol;
/** A nominal type over a base type: `Brand<string, 'Cmid'>`. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A GUID in canonical lower-case form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export type Guid = Brand<string, 'Guid'>;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
  const h = (i: number) => HEX[b[offset + i]!]!;
  return (h(3) + h(2) + h(1) + h(0) + '-' + h(5) + h(4) + '-' + h(7) + h(6) + '-' + h(8) + h(9) + '-' +
    h(10) + h(11) + h(12) + h(13) + h(14) + h(15)) as Guid;
}

/** Writes a GUID in Microsoft's mixed-endian wire layout into `out` at `offset`. */
export function guidToBytes(g: Guid, out: Uint8Array = new Uint8Array(16), offset = 0): Uint8Array {
  const hex = g.replace(/-/g, '');
  const byte = (i: number) => parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  for (let i = 0; i < 16; i++) out[offset + i] = byte(order[i]!);
  return out;
}
