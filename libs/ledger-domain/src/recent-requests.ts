/** The reply a recorded request got: what a re-delivered request is answered with. */
export type RecordedReply = Readonly<{ count: number; newClient: boolean }>;

/**
 * Request ids recorded in the last {@link REQUEST_DEDUP_WINDOW_MS}, with their
 * replies: a Map plus a FIFO of (id, time) in arrival order, trimmed from the
 * front. Ids are added once, so the FIFO has no stale entries.
 *
 * Mutable on purpose (see CountGroupState).
 */
export class RecentRequests {
  private readonly replies = new Map<string, RecordedReply & { readonly at: number }>();
  private ids: string[] = [];
  private times: number[] = [];
  private head = 0;

  get size(): number {
    return this.replies.size;
  }

  /** The reply of a remembered request id and when it was recorded (epoch ms). */
  get(requestId: string): (RecordedReply & { readonly at: number }) | undefined {
    return this.replies.get(requestId);
  }

  add(requestId: string, at: number, reply: RecordedReply): void {
    if (this.replies.has(requestId)) return;
    this.replies.set(requestId, { count: reply.count, newClient: reply.newClient, at });
    this.ids.push(requestId);
    this.times.push(at);
  }

  /** Forgets ids recorded at or before `cutoff`. */
  expire(cutoff: number): void {
    while (this.head < this.ids.length && (this.times[this.head] as number) <= cutoff) {
      this.replies.delete(this.ids[this.head] as string);
      this.head++;
    }
    // Compact once the dead prefix dominates, keeping pushes and trims O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  /** Entries in arrival order, oldest first. */
  *entries(): IterableIterator<Readonly<{ requestId: string; at: number; count: number; newClient: boolean }>> {
    for (let i = this.head; i < this.ids.length; i++) {
      const requestId = this.ids[i] as string;
      const r = this.replies.get(requestId);
      if (r !== undefined) yield { requestId, at: r.at, count: r.count, newClient: r.newClient };
    }
  }
}
