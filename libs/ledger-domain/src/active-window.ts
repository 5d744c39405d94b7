/** A CMID in the window, linked in last-seen order. */
class Entry {
  prev: Entry | null = null;
  next: Entry | null = null;
  constructor(
    readonly cmid: string,
    public lastSeen: number,
  ) {}
}

/**
 * The distinct CMIDs seen in the count window, with their last-seen times
 * (epoch ms): a Map for O(1) lookup and an intrusive doubly-linked list kept in
 * last-seen order as the expiry queue. A renewal moves its entry to the tail
 * in O(1), so the queue never holds stale entries and its memory is bounded
 * by the active CMIDs rather than by the requests of 30 days; expiry pops the
 * head while it is old. Times must be appended in non-decreasing order (the
 * decider clamps them).
 *
 * Mutable on purpose (see CountGroupState).
 */
export class ActiveWindow {
  private readonly byCmid = new Map<string, Entry>();
  private head: Entry | null = null;
  private tail: Entry | null = null;

  /** Number of CMIDs held, including any not yet expired by {@link expire}. */
  get size(): number {
    return this.byCmid.size;
  }

  lastSeen(cmid: string): number | undefined {
    return this.byCmid.get(cmid)?.lastSeen;
  }

  /** Oldest last-seen time held, if any. */
  oldest(): number | undefined {
    return this.head?.lastSeen;
  }

  /** How many entries {@link expire} would drop at `cutoff`, without dropping them (O(expired)). */
  countExpired(cutoff: number): number {
    let n = 0;
    for (let e = this.head; e !== null && e.lastSeen <= cutoff; e = e.next) n++;
    return n;
  }

  /** Drops every CMID last seen at or before `cutoff`; returns how many. */
  expire(cutoff: number): number {
    let n = 0;
    while (this.head !== null && this.head.lastSeen <= cutoff) {
      const e = this.head;
      this.unlink(e);
      this.byCmid.delete(e.cmid);
      n++;
    }
    return n;
  }

  /** Records `cmid` as seen at `at` (>= every time given before); true when it was not held. */
  touch(cmid: string, at: number): boolean {
    const found = this.byCmid.get(cmid);
    if (found !== undefined) {
      found.lastSeen = at;
      if (found !== this.tail) {
        this.unlink(found);
        this.append(found);
      }
      return false;
    }
    const e = new Entry(cmid, at);
    this.byCmid.set(cmid, e);
    this.append(e);
    return true;
  }

  /** Entries in last-seen order, oldest first. */
  *entries(): IterableIterator<readonly [cmid: string, lastSeen: number]> {
    for (let e = this.head; e !== null; e = e.next) yield [e.cmid, e.lastSeen];
  }

  private append(e: Entry): void {
    e.prev = this.tail;
    e.next = null;
    if (this.tail === null) this.head = e;
    else this.tail.next = e;
    this.tail = e;
  }

  private unlink(e: Entry): void {
    if (e.prev === null) this.head = e.next;
    else e.prev.next = e.next;
    if (e.next === null) this.tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = null;
    e.next = null;
  }
}
