import { CodecError } from './errors.js';

/**
 * Turns a message into bytes and back. Structurally the same as the codecs of
 * `@kmsgrid/contracts` (which add a schema), so those plug in directly; a
 * binary codec can replace JSON on a hot hop.
 */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  /** Throws on bytes that are not a valid T (any error; the RPC layer wraps it). */
  decode(bytes: Uint8Array): T;
}

export interface BigintJsonCodecOptions<T> {
  /** Validates the parsed value and returns it typed (throw to reject); default: trust the sender. */
  readonly parse?: (value: unknown) => T;
}

const BIGINT_TAG = '$bigint';
const BYTES_TAG = '$bytes';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function replacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { [BIGINT_TAG]: value.toString() };
  // The holder's own value: Buffer.prototype.toJSON has already run on `value`.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return { [BYTES_TAG]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const record = value as Record<string, unknown>;
  const tagged = record[BIGINT_TAG];
  if (typeof tagged === 'string' && /^-?\d+$/.test(tagged)) return BigInt(tagged);
  const bytes = record[BYTES_TAG];
  if (typeof bytes === 'string') return new Uint8Array(Buffer.from(bytes, 'base64'));
  return value;
}

/**
 * The default RPC codec: UTF-8 JSON that also carries `bigint` as
 * `{"$bigint":"<decimal>"}` and `Uint8Array`/`Buffer` as `{"$bytes":"<base64>"}`,
 * restored on decode. An object whose only key is `$bigint` or `$bytes` is
 * therefore reserved. Plain JSON otherwise (readable in `nats sub`);
 * `undefined` fields are dropped as in JSON.
 *
 * @example const codec = bigintJsonCodec<{ count: bigint }>(); codec.decode(codec.encode({ count: 2n ** 64n }));
 */
export function bigintJsonCodec<T>(options: BigintJsonCodecOptions<T> = {}): Codec<T> {
  const parse = options.parse ?? ((value: unknown) => value as T);
  return {
    encode(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value, replacer);
      } catch (err) {
        throw new CodecError(`cannot encode JSON: ${(err as Error).message}`, { cause: err });
      }
      if (text === undefined) throw new CodecError(`cannot encode ${typeof value} as JSON`);
      return encoder.encode(text);
    },
    decode(bytes) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(bytes), reviver);
      } catch (err) {
        throw new CodecError(`not JSON: ${(err as Error).message}`, { cause: err });
      }
      return parse(parsed);
    },
  };
}
