// Pending requests and their timeouts, shared by both transports: one sweep
// timer per transport instead of a timer per request.
import { TransportTimeoutError } from './errors.js';
import type { ReceivedReply, TransportReply } from './transport.js';

/**
 * A request waiting for its reply: settles once, by the reply, the timeout
 * sweep, no responders or close().
 */
export class PendingRequest {
  settled = false;

  constructor(
    readonly subject: string,
    /** The transport's key for the reply (NATS: the token of the reply subject); '' when unused. */
    readonly token: string,
    readonly deadline: number,
    readonly timeoutMs: number,
    private readonly resolve: (reply: ReceivedReply) => void,
    private readonly reject: (err: Error) => void,
    private readonly done: (request: PendingRequest) => void,
  ) {}

  reply(reply: TransportReply): void {
    // handleRequest builds a fresh headers object per reply: no copy needed.
    if (this.settle()) this.resolve({ data: reply.data, headers: reply.headers ?? {} });
  }

  fail(err: Error): void {
    if (this.settle()) this.reject(err);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.done(this);
    return true;
  }
}

/**
 * Timeouts of a transport's pending requests without a timer each: requests
 * wait in FIFO queues per timeout length (so deadlines rise along a queue),
 * and one timer is armed for the earliest deadline. Settled requests leave
 * the queues lazily, from the front.
 */
export class Deadlines {
  private readonly queues = new Map<number, PendingRequest[]>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private live = 0;

  add(request: PendingRequest): void {
    let queue = this.queues.get(request.timeoutMs);
    if (queue === undefined) this.queues.set(request.timeoutMs, (queue = []));
    else dropSettled(queue);
    queue.push(request);
    if (this.live++ === 0) this.timer?.ref();
    if (request.deadline < this.armedFor) this.arm(request.deadline);
  }

  /** A request settled (a reply, no responders, close). */
  settled(): void {
    // Nothing waits: let the process exit even though the sweep timer is still armed.
    if (--this.live === 0) this.timer?.unref();
  }

  /** Every request still waiting (for close()). */
  waiting(): PendingRequest[] {
    return [...this.queues.values()].flat().filter((r) => !r.settled);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(deadline: number): void {
    clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.sweep, Math.max(0, Math.ceil(deadline - performance.now())));
    if (this.live === 0) this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [timeoutMs, queue] of this.queues) {
      let i = 0;
      for (; i < queue.length; i++) {
        const request = queue[i]!;
        if (request.settled) continue;
        if (request.deadline > now) break;
        request.fail(new TransportTimeoutError(request.subject, request.timeoutMs));
      }
      queue.splice(0, i);
      if (queue.length === 0) this.queues.delete(timeoutMs);
      else next = Math.min(next, queue[0]!.deadline);
    }
    if (next !== Infinity) this.arm(next);
  };
}

/** Removes settled requests from the front of a queue. */
function dropSettled(queue: PendingRequest[]): void {
  let i = 0;
  while (i < queue.length && queue[i]!.settled) i++;
  if (i > 0) queue.splice(0, i);
}
