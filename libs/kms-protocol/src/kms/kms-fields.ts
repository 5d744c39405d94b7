import { KmsProtocolError } from '../wire/errors.js';
import { isGuid, type Guid } from '../wire/guid.js';
import type { Reader } from '../wire/cursor.js';
import type { KmsProtocolVersion } from './kms-message.types.js';

/** Internal helpers shared by the request and response codecs. */

/** Message format for a major version as a decoder accepts it (4, 5, 6 only). */
export const formatOfMajor = (major: number): KmsProtocolVersion | undefined =>
  major === 4 || major === 5 || major === 6 ? major : undefined;

/** Throws KMS_LENGTH unless `bytes` is exactly `expected` long. */
export function expectLength(bytes: Uint8Array, expected: number, what: string): void {
  if (bytes.length !== expected) {
    throw new KmsProtocolError(
      'KMS_LENGTH',
      `${what} must be ${expected} bytes, got ${bytes.length}`,
      Math.min(bytes.length, expected),
    );
  }
}

/** Reads `units` UTF-16LE code units; the string ends at the first NUL (code units kept as is). */
export function readUtf16z(r: Reader, units: number, field: string): { text: string; nulAt: number } {
  const raw = r.bytes(units * 2, field);
  let text = '';
  for (let i = 0; i < units; i++) {
    const c = raw[2 * i]! | (raw[2 * i + 1]! << 8);
    if (c === 0) return { text, nulAt: i };
    text += String.fromCharCode(c);
  }
  return { text, nulAt: -1 };
}

/** Writes `text` as UTF-16LE code units at `out[offset]`. */
export function writeUtf16(text: string, out: Uint8Array, offset: number): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[offset + 2 * i] = c & 0xff;
    out[offset + 2 * i + 1] = c >>> 8;
  }
}

const bad = (reason: string): KmsProtocolError => new KmsProtocolError('BAD_VALUE', reason, 0);

export function checkUint(v: number, bits: 16 | 32, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > (bits === 16 ? 0xffff : 0xffffffff)) {
    throw bad(`${field} ${v} is not an unsigned ${bits}-bit integer`);
  }
}

export function checkGuid(g: Guid, field: string): void {
  if (typeof g !== 'string' || !isGuid(g)) throw bad(`${field} ${String(g)} is not a GUID`);
}

export function checkFileTime(t: bigint, field: string): void {
  if (typeof t !== 'bigint' || t < 0n || t > 0xffffffffffffffffn) throw bad(`${field} ${String(t)} is not a 64-bit FILETIME`);
}

export function checkBytes(b: Uint8Array | undefined, n: number, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== n) throw bad(`${field} must be ${n} bytes`);
  return b;
}
