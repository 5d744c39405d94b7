/** Lower-case hex of a byte array; for diagnostics and fixtures. */
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Bytes from hex (whitespace ignored); throws on odd length or non-hex. */
export function fromHex(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '');
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new Error(`not hex: ${s.slice(0, 40)}...`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}
