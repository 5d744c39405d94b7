import { LedgerDomainError } from './errors.js';

const MIN_CAPACITY = 1024;
const EMPTY = -1;
const DELETED = -2;

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
 * - A GUID is stored as its 128 bits (4 x u32) in typed arrays, not as a
 *   string key of a JS Map: typed arrays hold no pointers, so the garbage
 *   collector does not trace a million strings on every major GC (with a
 *   Map<string, ...>, 1,000,000 CMIDs made each request about 2.5x slower).
 * - Entries have stable ids (free list; callers may keep data per id); an
 *   open-addressing hash index (linear probing, tombstones, rebuilt when half
 *   full) maps a GUID to its id.
 * - The expiry queue is two typed arrays of (entry id, time) in time order. A
 *   renewal updates the entry's time and pushes a new queue entry (lazy
 *   deletion); expiry pops the head and drops a GUID only when the popped
 *   entry is its latest (`seen[id] === time`), skipping stale ones. Every
 *   operation is O(1) amortized; the queue holds one entry per touch of the
 *   window (12 bytes each), e.g. about 5 per client renewing weekly.
 *
 * Times must be given in non-decreasing order (the decider clamps them); an
 * earlier time is raised to the latest one. GUIDs are canonical strings
 * (either case); {@link entries} gives them back in lower case.
 *
 * Mutable on purpose (see CountGroupState).
 */
export class GuidWindow {
  // Entries, by id, 32 bytes each in one buffer so a lookup touches one cache
  // line: u32[8id..8id+3] the key words, f64[4id+2] the last-seen time (NaN
  // when free), i32[8id+6] the key hash.
  private u32 = new Uint32Array(0);
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private entryCapacity = 0;
  private top = 0;
  private freeIds = new Int32Array(MIN_CAPACITY);
  private freeCount = 0;
  private count = 0;
  // Hash index: slot -> entry id, EMPTY or DELETED.
  private index = new Int32Array(2 * MIN_CAPACITY).fill(EMPTY);
  private indexFilled = 0;
  // Expiry queue.
  private qId = new Int32Array(MIN_CAPACITY);
  private qTime = new Float64Array(MIN_CAPACITY);
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
    this.growEntries();
  }

  /** Number of GUIDs held, including any not yet dropped by {@link expire}. */
  get size(): number {
    return this.count;
  }

  /** @throws LedgerDomainError `KMSG_ERR_LEDGER_BAD_GUID` when `guid` is not a GUID. */
  lastSeen(guid: string): number | undefined {
    const id = this.find(this.parse(guid));
    return id < 0 ? undefined : this.f64[4 * id + 2];
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
      const id = this.qId[this.qHead] as number;
      if (this.f64[4 * id + 2] === this.qTime[this.qHead]) {
        this.remove(id);
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
    let id = this.find(h);
    const isNew = id < 0;
    if (id < 0) {
      id = this.insert(h);
    } else if (this.f64[4 * id + 2] === t) {
      return false; // same instant: its queue entry is already the latest one
    }
    this.f64[4 * id + 2] = t;
    this.enqueue(id, t);
    return isNew;
  }

  /** Entry id of a held GUID, or -1; stable until the GUID expires. */
  idOf(guid: string): number {
    return this.find(this.parse(guid));
  }

  /** Entry ids are below this (grows; per-id side arrays should follow it). */
  get capacity(): number {
    return this.entryCapacity;
  }

  /** Entries in last-seen order, oldest first. */
  *entries(): IterableIterator<readonly [guid: string, lastSeen: number, id: number]> {
    for (let i = this.qHead; i < this.qTail; i++) {
      const id = this.qId[i] as number;
      if (this.f64[4 * id + 2] === this.qTime[i]) yield [this.format(id), this.qTime[i] as number, id];
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

  private format(id: number): string {
    const w = this.u32;
    const b = 8 * id;
    const w1 = w[b + 1] as number;
    const w2 = w[b + 2] as number;
    return `${hex(w[b] as number, 8)}-${hex(w1 >>> 16, 4)}-${hex(w1 & 0xffff, 4)}-${hex(w2 >>> 16, 4)}-${hex(w2 & 0xffff, 4)}${hex(w[b + 3] as number, 8)}`;
  }

  /** Entry id of the parsed key, or -1. */
  private find(h: number): number {
    const mask = this.index.length - 1;
    const w = this.u32;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = this.index[i] as number;
      if (id === EMPTY) return -1;
      const b = 8 * id;
      if (id >= 0 && w[b] === this.k0 && w[b + 1] === this.k1 && w[b + 2] === this.k2 && w[b + 3] === this.k3) return id;
    }
  }

  /** Stores the parsed key (known to be absent) and returns its new entry id. */
  private insert(h: number): number {
    let id: number;
    if (this.freeCount > 0) {
      id = this.freeIds[--this.freeCount] as number;
    } else {
      if (this.top === this.entryCapacity) this.growEntries();
      id = this.top++;
    }
    const b = 8 * id;
    this.u32[b] = this.k0;
    this.u32[b + 1] = this.k1;
    this.u32[b + 2] = this.k2;
    this.u32[b + 3] = this.k3;
    this.i32[b + 6] = h;
    this.count++;
    if ((this.indexFilled + 1) * 2 > this.index.length) this.rebuildIndex();
    this.place(id, h);
    return id;
  }

  private place(id: number, h: number): void {
    const mask = this.index.length - 1;
    let i = h & mask;
    while ((this.index[i] as number) >= 0) i = (i + 1) & mask;
    if (this.index[i] === EMPTY) this.indexFilled++;
    this.index[i] = id;
  }

  private remove(id: number): void {
    const mask = this.index.length - 1;
    let i = (this.i32[8 * id + 6] as number) & mask;
    while (this.index[i] !== id) i = (i + 1) & mask;
    this.index[i] = DELETED; // a tombstone keeps later probes going; rebuildIndex clears them
    this.f64[4 * id + 2] = Number.NaN; // never equal to a queued time
    if (this.freeCount === this.freeIds.length) {
      const grown = new Int32Array(this.freeIds.length * 2);
      grown.set(this.freeIds);
      this.freeIds = grown;
    }
    this.freeIds[this.freeCount++] = id;
    this.count--;
  }

  /** New index sized for the live entries (load <= 1/4 after), without tombstones. O(entries). */
  private rebuildIndex(): void {
    let size = MIN_CAPACITY * 2;
    while (size < (this.count + 1) * 4) size *= 2;
    this.index = new Int32Array(size).fill(EMPTY);
    this.indexFilled = 0;
    for (let id = 0; id < this.top; id++) if (!Number.isNaN(this.f64[4 * id + 2] as number)) this.place(id, this.i32[8 * id + 6] as number);
  }

  private growEntries(): void {
    const capacity = Math.max(MIN_CAPACITY, this.entryCapacity * 2);
    const buffer = new ArrayBuffer(32 * capacity);
    const u32 = new Uint32Array(buffer);
    u32.set(this.u32);
    this.u32 = u32;
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    for (let id = this.entryCapacity; id < capacity; id++) this.f64[4 * id + 2] = Number.NaN;
    this.entryCapacity = capacity;
  }

  private enqueue(id: number, t: number): void {
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
    this.qId[this.qTail] = id;
    this.qTime[this.qTail] = t;
    this.qTail++;
  }
}
