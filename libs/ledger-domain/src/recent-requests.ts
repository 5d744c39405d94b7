import { GuidWindow } from './guid-window.js';

/** The reply a recorded request got: what a re-delivered request is answered with. */
export type RecordedReply = Readonly<{ count: number; newClient: boolean }>;

/**
 * Request ids (GUIDs, RequestOriginSchema) recorded in the last
 * {@link REQUEST_DEDUP_WINDOW_MS}, with their replies. At thousands of
 * requests/s this holds hundreds of thousands of ids, so it is a
 * {@link GuidWindow} (typed arrays) with the reply packed in each slot's
 * payload (`count x 2 + newClient`), not a Map of strings and objects.
 *
 * Mutable on purpose (see CountGroupState).
 */
export class RecentRequests {
  private readonly window = new GuidWindow();

  get size(): number {
    return this.window.size;
  }

  /** The reply of a remembered request id and when it was recorded (epoch ms). */
  get(requestId: string): (RecordedReply & { readonly at: number }) | undefined {
    const id = this.window.idOf(requestId);
    if (id < 0) return undefined;
    const p = this.window.payload(id);
    return { count: Math.floor(p / 2), newClient: p % 2 === 1, at: this.window.lastSeen(requestId) as number };
  }

  /** Remembers a request id; an id already remembered keeps its first reply. */
  add(requestId: string, at: number, reply: RecordedReply): void {
    if (!this.window.touch(requestId, at)) return;
    // A count fits: it is at most the number of CMIDs held, far below 2^31.
    this.window.setPayload(this.window.idOf(requestId), reply.count * 2 + (reply.newClient ? 1 : 0));
  }

  /** Forgets ids recorded at or before `cutoff`. */
  expire(cutoff: number): void {
    this.window.expire(cutoff);
  }

  /** Entries in arrival order, oldest first. */
  *entries(): IterableIterator<Readonly<{ requestId: string; at: number; count: number; newClient: boolean }>> {
    for (const [requestId, at, id] of this.window.entries()) {
      const p = this.window.payload(id);
      yield { requestId, at, count: Math.floor(p / 2), newClient: p % 2 === 1 };
    }
  }
}
