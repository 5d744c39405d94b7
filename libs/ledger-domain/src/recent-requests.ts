import { GuidWindow } from './guid-window.js';

/** The reply a recorded request got: what a re-delivered request is answered with. */
export type RecordedReply = Readonly<{ count: number; newClient: boolean }>;

/**
 * Request ids (GUIDs, RequestOriginSchema) recorded in the last
 * {@link REQUEST_DEDUP_WINDOW_MS}, with their replies. At thousands of
 * requests/s this holds hundreds of thousands of ids, so it lives in a
 * {@link GuidWindow} (typed arrays) with the replies in side arrays by entry
 * id, not in a Map of strings and objects.
 *
 * Mutable on purpose (see CountGroupState).
 */
export class RecentRequests {
  private readonly window = new GuidWindow();
  private counts = new Float64Array(0);
  private newClients = new Uint8Array(0);

  get size(): number {
    return this.window.size;
  }

  /** The reply of a remembered request id and when it was recorded (epoch ms). */
  get(requestId: string): (RecordedReply & { readonly at: number }) | undefined {
    const id = this.window.idOf(requestId);
    if (id < 0) return undefined;
    return { count: this.counts[id] as number, newClient: this.newClients[id] === 1, at: this.window.lastSeen(requestId) as number };
  }

  /** Remembers a request id; an id already remembered keeps its first reply. */
  add(requestId: string, at: number, reply: RecordedReply): void {
    if (!this.window.touch(requestId, at)) return;
    const id = this.window.idOf(requestId);
    if (id >= this.counts.length) {
      const capacity = this.window.capacity;
      const counts = new Float64Array(capacity);
      counts.set(this.counts);
      this.counts = counts;
      const newClients = new Uint8Array(capacity);
      newClients.set(this.newClients);
      this.newClients = newClients;
    }
    this.counts[id] = reply.count;
    this.newClients[id] = reply.newClient ? 1 : 0;
  }

  /** Forgets ids recorded at or before `cutoff`. */
  expire(cutoff: number): void {
    this.window.expire(cutoff);
  }

  /** Entries in arrival order, oldest first. */
  *entries(): IterableIterator<Readonly<{ requestId: string; at: number; count: number; newClient: boolean }>> {
    for (const [requestId, at, id] of this.window.entries()) {
      yield { requestId, at, count: this.counts[id] as number, newClient: this.newClients[id] === 1 };
    }
  }
}
