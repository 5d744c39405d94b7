import type { Prng } from './prng.js';

/** A length or count field at a known offset, little-endian (frag_length, alloc_hint, NDR sizes, PIDSize...). */
export interface LengthField {
  readonly at: number;
  readonly width: 1 | 2 | 4 | 8;
  readonly name: string;
}

/** A seed input plus the length fields the mutator edits on purpose. */
export interface Seed {
  readonly bytes: Uint8Array;
  readonly fields: readonly LengthField[];
}

const INTERESTING_8 = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0b, 0x10, 0x7f, 0x80, 0xfe, 0xff];

/** Fields shifted by `delta` bytes (a PDU inside a stream, a stub inside a PDU). */
export const shiftFields = (fields: readonly LengthField[], delta: number, prefix = ''): LengthField[] =>
  fields.map((f) => ({ at: f.at + delta, width: f.width, name: prefix + f.name }));

function readLe(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = Math.min(width, 6) - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  return v;
}

function writeLe(b: Uint8Array, at: number, width: number, v: number): void {
  let x = v;
  for (let i = 0; i < width && at + i < b.length; i++) {
    b[at + i] = i < 6 ? x % 256 : 0;
    x = Math.floor(x / 256);
  }
}

/** A value a decoder is likely to mishandle in a field of `width` bytes whose current value is `cur`. */
function lengthValue(p: Prng, width: number, cur: number, total: number): number {
  const max = width >= 6 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1;
  const candidates = [
    0,
    1,
    cur + 1,
    cur - 1,
    cur + p.range(2, 64),
    cur - p.range(2, 64),
    cur * 2,
    total,
    total + 1,
    total - 1,
    max,
    max - 1,
    Math.floor(max / 2),
    Math.floor(max / 2) + 1,
    p.int(Math.min(max, 0x10000) + 1),
    p.u32(),
  ];
  const v = p.pick(candidates);
  return Math.max(0, Math.min(max, v));
}

/** Overwrites the field with a suspicious length, or (u64) sets only its high half. */
export function editLength(p: Prng, b: Uint8Array, f: LengthField): void {
  if (f.at < 0 || f.at >= b.length) return;
  if (f.width === 8 && p.chance(0.25)) {
    writeLe(b, f.at + 4, 4, p.pick([1, 0x80000000, 0xffffffff, p.u32()]));
    return;
  }
  const cur = readLe(b, f.at, f.width);
  writeLe(b, f.at, f.width, lengthValue(p, f.width, cur, b.length));
}

type Op = (p: Prng, b: Uint8Array, seed: Seed, others: readonly Seed[]) => Uint8Array;

const ops: readonly { readonly weight: number; readonly op: Op }[] = [
  // bit flip
  { weight: 6, op: (p, b) => (b.length > 0 && (b[p.int(b.length)]! ^= 1 << p.int(8)), b) },
  // byte set to an interesting or random value
  {
    weight: 5,
    op: (p, b) => {
      if (b.length > 0) b[p.int(b.length)] = p.chance(0.5) ? p.pick(INTERESTING_8) : p.int(256);
      return b;
    },
  },
  // a 16/32-bit word set to an edge value
  {
    weight: 3,
    op: (p, b) => {
      const w = p.pick([2, 4] as const);
      if (b.length >= w) writeLe(b, p.int(b.length - w + 1), w, p.pick([0, 1, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff]) % 2 ** (8 * w));
      return b;
    },
  },
  // length-field edit at a known offset
  {
    weight: 8,
    op: (p, b, seed) => {
      if (seed.fields.length > 0) editLength(p, b, p.pick(seed.fields));
      return b;
    },
  },
  // truncation
  { weight: 4, op: (p, b) => b.slice(0, p.int(b.length + 1)) },
  // extension: zeros, random bytes or a repeat of the tail
  {
    weight: 3,
    op: (p, b) => {
      const n = p.pick([1, 2, 3, 4, 8, 16, p.range(1, 300)]);
      const tail = p.chance(0.3) ? new Uint8Array(n) : p.bytes(n);
      const out = new Uint8Array(b.length + n);
      out.set(b);
      out.set(tail, b.length);
      return out;
    },
  },
  // insertion / deletion inside
  {
    weight: 2,
    op: (p, b) => {
      const at = p.int(b.length + 1);
      if (p.chance(0.5)) {
        const n = p.range(1, 16);
        const out = new Uint8Array(b.length + n);
        out.set(b.subarray(0, at));
        out.set(p.bytes(n), at);
        out.set(b.subarray(at), at + n);
        return out;
      }
      const n = Math.min(b.length - at, p.range(1, 16));
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + n), at);
      return out;
    },
  },
  // splice: head of this input, tail of another
  {
    weight: 2,
    op: (p, b, seed, others) => {
      const o = others.length > 0 ? p.pick(others).bytes : seed.bytes;
      const cut = p.int(b.length + 1);
      const from = p.int(o.length + 1);
      const out = new Uint8Array(cut + o.length - from);
      out.set(b.subarray(0, cut));
      out.set(o.subarray(from), cut);
      return out;
    },
  },
  // copy a range over another place
  {
    weight: 1,
    op: (p, b) => {
      if (b.length < 2) return b;
      const n = p.range(1, Math.min(32, b.length - 1));
      const from = p.int(b.length - n + 1);
      b.copyWithin(p.int(b.length - n + 1), from, from + n);
      return b;
    },
  },
];
const TOTAL_WEIGHT = ops.reduce((n, o) => n + o.weight, 0);

/**
 * Applies 1..8 random mutations (most often one or two) to a copy of
 * `seed.bytes`; length-field edits use `seed.fields` (offsets may go stale after
 * a length-changing mutation, which is fine: the result is still an input).
 */
export function mutate(p: Prng, seed: Seed, others: readonly Seed[]): Uint8Array {
  let b: Uint8Array = seed.bytes.slice();
  const n = p.chance(0.5) ? 1 : p.chance(0.6) ? 2 : p.range(3, 8);
  for (let i = 0; i < n; i++) {
    let r = p.int(TOTAL_WEIGHT);
    for (const o of ops) {
      r -= o.weight;
      if (r < 0) {
        b = o.op(p, b, seed, others);
        break;
      }
    }
  }
  return b;
}

/** Cuts `bytes` into chunks: whole, byte by byte, random sizes, or near the given boundaries. */
export function chunk(p: Prng, bytes: Uint8Array, boundaries: readonly number[] = []): Uint8Array[] {
  const mode = p.int(5);
  if (mode === 0 || bytes.length === 0) return [bytes];
  if (mode === 1 && bytes.length <= 1024) return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  const cuts: number[] = [];
  if (mode === 2 && boundaries.length > 0) {
    for (const at of boundaries) cuts.push(at + p.range(-2, 2));
  } else {
    const max = p.pick([2, 7, 16, 64, 300]);
    for (let at = p.range(1, max); at < bytes.length; at += p.range(1, max)) cuts.push(at);
  }
  const sorted = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  // sometimes an empty chunk in between (a zero-length read)
  if (p.chance(0.05)) out.splice(p.int(out.length + 1), 0, new Uint8Array(0));
  return out;
}
