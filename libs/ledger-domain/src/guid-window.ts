import { LedgerDomainError } from './errors.js';

const MIN_SLOTS = 2048;
/** Rebuild when live + deleted slots exceed this share of the table… */
const MAX_FILL = 0.7;
/** …into a table where the live slots fill at most this share. */
const TARGET_FILL = 0.5;

/** Value of one hex digit (either case), or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

const hex = (v: number, width: number): string => v.toString(16).padStart(width, '0');

const notGuid = (value: string): LedgerDomainError =>
  new LedgerDomainError('KMSG_ERR_LEDGER_BAD_GUID', `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} is not a GUID`);

/**
 * GUIDs with the time each was last seen (epoch ms), expiring in time order.
 * It holds the CMIDs of the 30-day count window and the request ids of the
 * last minutes, and is built to hold millions at the cost of a few:
 *
 * - An open-addressing hash table (linear probing, tombstones) over one
 *   ArrayBuffer of 32-byte slots: the GUID's 128 bits, its last-seen time, its
 *   hash and a 32-bit payload. A lookup reads one cache line in the common
 *   case, and there is no heap object per GUID for the garbage collector to
 *   trace (with a Map<string, ...>, 1,000,000 CMIDs made each request about
 *   2.5x slower).
 * - The expiry queue is two typed arrays of (slot, time) in time order. A
 *   renewal updates the slot's time and pushes a new queue entry (lazy
 *   deletion); expiry pops the head and drops a GUID only when the popped
 *   entry is its latest (`seen === time`), skipping stale ones. A slot is
 *   freed only when its latest entry is popped, so no queue entry ever points
 *   at a freed or reused slot; a rebuild of the table remaps the queue.
 *
 * Every operation is O(1) amortized (a rebuild is O(slots + queue)); the
 * queue holds one entry per touch of the last window (12 bytes each), e.g.
 * about 5 per client renewing weekly.
 *
 * Times must be given in non-decreasing order (the decider clamps them); an
 * earlier time is raised to the latest one. GUIDs are canonical strings
 * (either case); {@link entries} gives them back in lower case.
 *
 * Mutable on purpose (see CountGroupState).
 */
export class GuidWindow {
  // Slot s: u32[8s..8s+3] key words, f64[4s+2] last seen (NaN: empty,
  // -Infinity: deleted), i32[8s+6] key hash, u32[8s+7] payload.
  private u32 = new Uint32Array(0);
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private mask = 0;
  private live = 0;
  private filled = 0;
  private maxFilled = 0;
  // Expiry queue.
  private qId = new Int32Array(1024);
  private qTime = new Float64Array(1024);
  private qHead = 0;
  private qTail = 0;
  private latest = Number.NEGATIVE_INFINITY;
  // The key being looked up (parse() fills them), and the string it came from:
  // decide and evolve look up the same GUID one after the other.
  private k0 = 0;
  private k1 = 0;
  private k2 = 0;
  private k3 = 0;
  private kHash = 0;
  private kString: string | null = null;

  constructor() {
    this.allocate(MIN_SLOTS);
  }

  /** Number of GUIDs held, including any not yet dropped by {@link expire}. */
  get size(): number {
    return this.live;
  }

  /** @throws LedgerDomainError `KMSG_ERR_LEDGER_BAD_GUID` when `guid` is not a GUID. */
  lastSeen(guid: string): number | undefined {
    const s = this.find(this.parse(guid));
    return s < 0 ? undefined : this.f64[4 * s + 2];
  }

  /** Sizes the table for `count` GUIDs at once (before a bulk load), sparing the rebuilds of gradual growth. */
  reserve(count: number): void {
    if (count > this.maxFilled) this.rebuild(count);
  }

  /** Slot of a held GUID, or -1; valid until the next {@link touch} or {@link expire}. */
  idOf(guid: string): number {
    return this.find(this.parse(guid));
  }

  /** The 32-bit payload of a slot (0 when the GUID was added). */
  payload(id: number): number {
    return this.u32[8 * id + 7] as number;
  }

  setPayload(id: number, value: number): void {
    this.u32[8 * id + 7] = value;
  }

  /** How many GUIDs {@link expire} would drop at `cutoff`, without dropping them (O(queue entries at or before cutoff)). */
  countExpired(cutoff: number): number {
    let n = 0;
    for (let i = this.qHead; i < this.qTail && (this.qTime[i] as number) <= cutoff; i++) {
      if (this.f64[4 * (this.qId[i] as number) + 2] === this.qTime[i]) n++;
    }
    return n;
  }

  /** Drops every GUID last seen at or before `cutoff`; returns how many. */
  expire(cutoff: number): number {
    let n = 0;
    while (this.qHead < this.qTail && (this.qTime[this.qHead] as number) <= cutoff) {
      const s = this.qId[this.qHead] as number;
      if (this.f64[4 * s + 2] === this.qTime[this.qHead]) {
        this.f64[4 * s + 2] = Number.NEGATIVE_INFINITY; // tombstone: probes go on past it
        this.live--;
        n++;
      }
      this.qHead++;
    }
    return n;
  }

  /**
   * Records `guid` as seen at `at`; true when it was not held.
   *
   * @throws LedgerDomainError `KMSG_ERR_LEDGER_BAD_GUID` when `guid` is not a GUID.
   */
  touch(guid: string, at: number): boolean {
    const h = this.parse(guid);
    const t = at > this.latest ? at : this.latest;
    this.latest = t;
    let s = this.find(h);
    if (s >= 0) {
      if (this.f64[4 * s + 2] === t) return false; // same instant: its queue entry is already the latest one
      this.f64[4 * s + 2] = t;
      this.enqueue(s, t);
      return false;
    }
    if (this.filled + 1 > this.maxFilled) this.rebuild();
    s = this.h2slot(h);
    const b = 8 * s;
    if (Number.isNaN(this.f64[4 * s + 2] as number)) this.filled++;
    this.u32[b] = this.k0;
    this.u32[b + 1] = this.k1;
    this.u32[b + 2] = this.k2;
    this.u32[b + 3] = this.k3;
    this.i32[b + 6] = h;
    this.u32[b + 7] = 0;
    this.f64[4 * s + 2] = t;
    this.live++;
    this.enqueue(s, t);
    return true;
  }

  /** Entries in last-seen order, oldest first, with their slots. */
  *entries(): IterableIterator<readonly [guid: string, lastSeen: number, id: number]> {
    for (let i = this.qHead; i < this.qTail; i++) {
      const s = this.qId[i] as number;
      if (this.f64[4 * s + 2] === this.qTime[i]) yield [this.format(s), this.qTime[i] as number, s];
    }
  }

  /** Parses a GUID into k0..k3 and returns its hash. */
  private parse(guid: string): number {
    if (guid === this.kString) return this.kHash;
    this.kString = null; // k0..k3 change below, even if parsing fails midway
    if (guid.length !== 36) throw notGuid(guid);
    let w = 0;
    let word = 0;
    let digits = 0;
    for (let i = 0; i < 36; i++) {
      const c = guid.charCodeAt(i);
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (c !== 45) throw notGuid(guid);
        continue;
      }
      const v = hexValue(c);
      if (v < 0) throw notGuid(guid);
      word = ((word << 4) | v) >>> 0;
      if (++digits === 8) {
        if (w === 0) this.k0 = word;
        else if (w === 1) this.k1 = word;
        else if (w === 2) this.k2 = word;
        else this.k3 = word;
        w++;
        word = 0;
        digits = 0;
      }
    }
    // murmur3-style mixing: CMIDs are usually random, but vlmcs and tests send patterned ones.
    let h = Math.imul(this.k0 ^ 0x9e3779b9, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ this.k1;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    h = Math.imul(h ^ this.k2, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ this.k3, 0xc2b2ae35);
    this.kHash = (h ^ (h >>> 16)) | 0;
    this.kString = guid;
    return this.kHash;
  }

  private format(s: number): string {
    const w = this.u32;
    const b = 8 * s;
    const w1 = w[b + 1] as number;
    const w2 = w[b + 2] as number;
    return `${hex(w[b] as number, 8)}-${hex(w1 >>> 16, 4)}-${hex(w1 & 0xffff, 4)}-${hex(w2 >>> 16, 4)}-${hex(w2 & 0xffff, 4)}${hex(w[b + 3] as number, 8)}`;
  }

  /** Slot of the parsed key, or -1. */
  private find(h: number): number {
    const { u32, f64, i32, mask } = this;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const t = f64[4 * s + 2] as number;
      if (t !== t) return -1; // NaN: empty, the key is absent
      const b = 8 * s;
      if (i32[b + 6] === h && t !== Number.NEGATIVE_INFINITY && u32[b] === this.k0 && u32[b + 1] === this.k1 && u32[b + 2] === this.k2 && u32[b + 3] === this.k3) {
        return s;
      }
    }
  }

  /** First empty or deleted slot on the probe path of `h`. */
  private h2slot(h: number): number {
    const { f64, mask } = this;
    let s = h & mask;
    for (let t = f64[4 * s + 2] as number; t === t && t !== Number.NEGATIVE_INFINITY; t = f64[4 * s + 2] as number) s = (s + 1) & mask;
    return s;
  }

  private allocate(slots: number): void {
    const buffer = new ArrayBuffer(32 * slots);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64.fill(Number.NaN); // every slot empty (the other words are written on insert)
    this.mask = slots - 1;
    this.filled = 0;
    this.maxFilled = Math.floor(slots * MAX_FILL);
  }

  /** Moves the live slots to a table sized for them, drops tombstones and stale queue entries, remaps the queue. */
  private rebuild(room = this.live + 1): void {
    const { u32: oldU32, f64: oldF64, i32: oldI32 } = this;
    const oldSlots = this.mask + 1;
    let slots = MIN_SLOTS;
    while (slots * TARGET_FILL < room) slots *= 2;
    this.allocate(slots);
    const moved = new Int32Array(oldSlots);
    for (let o = 0; o < oldSlots; o++) {
      const t = oldF64[4 * o + 2] as number;
      if (t !== t || t === Number.NEGATIVE_INFINITY) continue;
      const s = this.h2slot(oldI32[8 * o + 6] as number);
      for (let k = 0; k < 8; k++) this.u32[8 * s + k] = oldU32[8 * o + k] as number;
      this.filled++;
      moved[o] = s;
    }
    let tail = 0;
    for (let i = this.qHead; i < this.qTail; i++) {
      const o = this.qId[i] as number;
      const t = this.qTime[i] as number;
      if (oldF64[4 * o + 2] !== t) continue; // stale: a later entry of the same GUID follows
      this.qId[tail] = moved[o] as number;
      this.qTime[tail] = t;
      tail++;
    }
    this.qHead = 0;
    this.qTail = tail;
  }

  private enqueue(s: number, t: number): void {
    if (this.qTail === this.qId.length) {
      const live = this.qTail - this.qHead;
      // Compact in place when at least half is dead, else double: O(1) amortized.
      const grow = live * 2 > this.qId.length;
      const ids = grow ? new Int32Array(this.qId.length * 2) : this.qId;
      const times = grow ? new Float64Array(this.qTime.length * 2) : this.qTime;
      ids.set(this.qId.subarray(this.qHead, this.qTail));
      times.set(this.qTime.subarray(this.qHead, this.qTail));
      this.qId = ids;
      this.qTime = times;
      this.qHead = 0;
      this.qTail = live;
    }
    this.qId[this.qTail] = s;
    this.qTime[this.qTail] = t;
    this.qTail++;
  }
}
