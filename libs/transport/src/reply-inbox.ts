import { createInbox, type Msg, type NatsConnection, type Subscription as NatsSubscription } from 'nats';
import { NoRespondersError, TransportClosedError } from './errors.js';
import { fromNats, mapError } from './nats-util.js';
import { Deadlines, PendingRequest } from './pending-requests.js';
import type { ReceivedReply } from './transport.js';

/**
 * Replies to our requests over one wildcard subscription, `<inbox>.*`,
 * instead of nc.request(): nats.js arms a timer, makes two deferreds and
 * constructs a NatsError ("cancelled") for every request, even an answered
 * one. Here a request is a map entry and a place in the shared
 * {@link Deadlines}. Used by the transport's requests and by the JetStream
 * publisher (whose PubAcks are replies).
 */
export class ReplyInbox {
  private readonly waiting = new Map<string, PendingRequest>();
  private readonly deadlines = new Deadlines();
  private readonly requestSettled = (request: PendingRequest): void => {
    this.waiting.delete(request.token);
    this.deadlines.settled();
  };
  private prefix: string | undefined;
  private sub: NatsSubscription | undefined;
  private nextToken = 0;

  constructor(
    private readonly nc: NatsConnection,
    /** Prefix of the inbox (as nats.js's `inboxPrefix`); default `_INBOX`. */
    private readonly inboxPrefix?: string,
  ) {
    void nc.closed().then(() => this.failAll());
  }

  /**
   * Waits for the reply to a request on `subject`; returns the subject to
   * send it with as `reply`. The promise settles once: by the reply, a no
   * responders status, the timeout or {@link failAll}.
   */
  private open(subject: string, timeoutMs: number): { pending: PendingRequest; replyTo: string; reply: Promise<ReceivedReply> } {
    const prefix = this.subscribe();
    let pending!: PendingRequest;
    const reply = new Promise<ReceivedReply>((resolve, reject) => {
      const token = (this.nextToken++).toString(36);
      pending = new PendingRequest(subject, token, performance.now() + timeoutMs, timeoutMs, resolve, reject, this.requestSettled);
    });
    this.waiting.set(pending.token, pending);
    this.deadlines.add(pending);
    return { pending, replyTo: prefix + pending.token, reply };
  }

  /**
   * Sends a request and waits for its reply: opens the wait, then calls
   * `publish` with the reply subject, at once or when `defer` runs it
   * (skipped if the wait has settled by then). A `publish` that throws
   * fails the wait with the mapped error (`what`: the operation it names).
   */
  send(subject: string, timeoutMs: number, what: string, publish: (replyTo: string) => void, defer?: (send: () => void) => void): Promise<ReceivedReply> {
    let opened: ReturnType<ReplyInbox['open']>;
    try {
      opened = this.open(subject, timeoutMs);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const { pending, replyTo, reply } = opened;
    const send = (): void => {
      if (pending.settled) return;
      try {
        publish(replyTo);
      } catch (err) {
        pending.fail(mapError(err, subject, what, timeoutMs));
      }
    };
    if (defer === undefined) send();
    else defer(send);
    return reply;
  }

  /** Unsubscribes (a connection we do not own); a later request subscribes anew. */
  leave(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.prefix = undefined;
  }

  /** Fails every waiting request (close(), or the connection closed under them). */
  failAll(): void {
    for (const pending of [...this.waiting.values()]) pending.fail(new TransportClosedError('wait for a reply'));
    this.deadlines.stop();
  }

  /** The prefix of reply subjects; subscribes `<inbox>.*` on first use. */
  private subscribe(): string {
    if (this.prefix !== undefined) return this.prefix;
    const prefix = `${createInbox(this.inboxPrefix)}.`;
    try {
      this.sub = this.nc.subscribe(`${prefix}*`, { callback: (err, m) => this.onReply(err, m, prefix.length) });
    } catch (err) {
      throw mapError(err, prefix, 'subscribe to the reply inbox');
    }
    this.prefix = prefix;
    return prefix;
  }

  private onReply(err: Error | null, m: Msg, prefixLength: number): void {
    if (err !== null) return; // the inbox subscription ended (connection closed): close() or the closed hook fails the waiting
    const pending = this.waiting.get(m.subject.slice(prefixLength));
    if (pending === undefined) return; // late: it timed out, or a second replier
    // The NATS server answers a request nobody serves with an empty 503 status message.
    if (m.data.length === 0 && m.headers?.code === 503) pending.fail(new NoRespondersError(pending.subject));
    else pending.reply({ data: m.data, headers: fromNats(m.headers) });
  }
}
