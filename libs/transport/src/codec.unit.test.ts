import { describe, expect, it } from 'vitest';
import { bigintJsonCodec } from './codec.js';
import { CodecError } from './errors.js';

const roundTrip = <T>(value: T): T => {
  const codec = bigintJsonCodec<T>();
  return codec.decode(codec.encode(value));
};

describe('bigintJsonCodec', () => {
  it('round-trips bigint beyond 2^64, negative and zero', () => {
    const value = { big: 2n ** 70n + 1n, neg: -5n, zero: 0n, list: [1n, 2], nested: { n: 9007199254740993n } };
    expect(roundTrip(value)).toEqual(value);
  });

  it('writes readable JSON with tagged bigint and base64 bytes', () => {
    const codec = bigintJsonCodec<unknown>();
    const json = new TextDecoder().decode(codec.encode({ t: 1n, b: new Uint8Array([1, 2, 3]), s: 'x' }));
    expect(json).toBe('{"t":{"$bigint":"1"},"b":{"$bytes":"AQID"},"s":"x"}');
  });

  it('round-trips Uint8Array, Buffer and subarrays as Uint8Array', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const out = roundTrip({ a: backing.subarray(2, 5), b: Buffer.from([0xff, 0]) });
    expect(out.a).toEqual(new Uint8Array([1, 2, 3]));
    expect(out.b).toEqual(new Uint8Array([0xff, 0]));
  });

  it('leaves look-alike objects alone unless they are exactly a tag', () => {
    const value = { a: { $bigint: '12', other: 1 }, b: { $bigint: 'not a number' }, c: { $bytes: 5 } };
    expect(roundTrip(value)).toEqual(value);
  });

  it('fails with CodecError on bad bytes and unencodable values', () => {
    const codec = bigintJsonCodec<unknown>();
    expect(() => codec.decode(new TextEncoder().encode('{oops'))).toThrow(CodecError);
    expect(() => codec.decode(new Uint8Array([0xff, 0xfe]))).toThrow(CodecError);
    expect(() => codec.encode(undefined)).toThrow(CodecError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => codec.encode(cyclic)).toThrow(CodecError);
  });

  it('runs the parse hook on decode', () => {
    const codec = bigintJsonCodec<number>({ parse: (v) => { if (typeof v !== 'number') throw new Error('nan'); return v; } });
    expect(codec.decode(codec.encode(3))).toBe(3);
    expect(() => codec.decode(new TextEncoder().encode('"x"'))).toThrow('nan');
  });
});
