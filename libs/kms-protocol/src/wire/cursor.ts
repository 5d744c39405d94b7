import { KmsProtocolError } from './errors.js';
import { guidToBytes, type Guid } from './guid.js';

/**
 * Bounds-checked little-endian reader. Every read checks the remaining length
 * before it happens and throws a TRUNCATED {@link KmsProtocolError} naming the
 * field and the offset (relative to `origin`, so nested structures report the
 * offset in the outer message).
 */
export class Reader {
  private pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
    private readonly origin = 0,
  ) {
    this.pos = start;
  }

  /** Current offset, as seen from the outermost message. */
  get offset(): number {
    return this.pos + this.origin;
  }
  get position(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new KmsProtocolError(
        'TRUNCATED',
        `${field} needs ${n} bytes, only ${Math.max(0, this.end - this.pos)} left`,
        this.offset,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }
  u16le(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }
  u32le(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }
  u64le(field: string): bigint {
    const lo = this.u32le(field);
    const hi = this.u32le(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  /** A 64-bit length or count that must fit a JS number (NDR64 sizes). */
  u64num(field: string): number {
    const at = this.offset;
    const v = this.u64le(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new KmsProtocolError('BAD_VALUE', `${field} ${v} is too large`, at);
    return Number(v);
  }
  /** A view (no copy) of the next n bytes. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }
  /** Skip to the next multiple of `n` relative to `base` (NDR alignment). */
  align(n: number, field: string, base = 0): void {
    const mis = (this.pos - base) % n;
    if (mis !== 0) this.skip(n - mis, field);
  }
  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }
}

/** Fixed-size little-endian writer over a preallocated buffer. */
export class Writer {
  private pos = 0;
  readonly buf: Uint8Array;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  get position(): number {
    return this.pos;
  }
  u8(v: number): this {
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u16le(v: number): this {
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    return this;
  }
  u32le(v: number): this {
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    return this;
  }
  u64le(v: bigint | number): this {
    const b = BigInt(v);
    this.u32le(Number(b & 0xffffffffn));
    this.u32le(Number((b >> 32n) & 0xffffffffn));
    return this;
  }
  /** A GUID in Microsoft's mixed-endian wire layout, written in place. */
  guid(g: Guid): this {
    guidToBytes(g, this.buf, this.pos);
    this.pos += 16;
    return this;
  }
  bytes(v: Uint8Array): this {
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }
  zeros(n: number): this {
    this.pos += n; // the buffer starts zero-filled
    return this;
  }
  /** Pad with zeros to a multiple of `n` relative to `base`. */
  align(n: number, base = 0): this {
    const mis = (this.pos - base) % n;
    if (mis !== 0) this.pos += n - mis;
    return this;
  }
  /** The written bytes; throws if the writer was sized wrongly (a bug, not input). */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`Writer: wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}
