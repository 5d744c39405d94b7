import { connect, Empty, type Msg, type NatsConnection, type Subscription as NatsSubscription } from 'nats';
import { TransportClosedError } from './errors.js';
import {
  handleMessage,
  handleRequest,
  InFlight,
  instrumentation,
  instrumentedPublish,
  instrumentedRequest,
  type Instrumentation,
  type TransportOptions,
} from './instrument.js';
import { fromNats, mapError, toNats } from './nats-util.js';
import { ReplyInbox } from './reply-inbox.js';
import { parseSubscriptionSubject } from './subject.js';
import type {
  MessageHandler,
  MessageHeaders,
  ReceivedReply,
  RequestHandler,
  Subscription,
  Transport,
  TransportMessage,
} from './transport.js';

export interface NatsTransportOptions extends TransportOptions {
  /**
   * Whether drain()/close() also drain/close the connection. Default true:
   * the transport owns the connection it was given.
   */
  readonly ownsConnection?: boolean;
  /** Prefix of the reply inbox (as nats.js's `inboxPrefix`, for accounts that restrict `_INBOX`); default `_INBOX`. */
  readonly inboxPrefix?: string;
}

/**
 * Holds the sends of one event-loop turn and hands them to nats.js together
 * in a setImmediate. nats.js writes what it was given in one microtask turn
 * with one socket write; a service handles each inbound socket read (an
 * ingress client connection, a NATS frame) in its own macrotask, so without
 * this every request or reply would cost a write syscall (tens of µs on
 * loopback) and a wake-up of the NATS server. Deferring to the check phase
 * adds no wait: the loop does not block while an immediate is pending.
 */
class Outbox {
  private queue: (() => void)[] = [];
  private scheduled = false;

  /** `send` runs in a later turn (or at {@link run}); it must not throw. */
  push(send: () => void): void {
    this.queue.push(send);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  /** Hands everything queued to nats.js now (before flush, drain, close). */
  readonly run = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    for (const send of queue) send();
  };
}

class NatsTransportSubscription implements Subscription {
  constructor(
    private readonly sub: NatsSubscription,
    private readonly running: InFlight,
    readonly subject: string,
    readonly queue: string | undefined,
    private readonly onEnd: (s: NatsTransportSubscription) => void,
  ) {}

  unsubscribe(): void {
    this.onEnd(this);
    if (!this.sub.isClosed()) this.sub.unsubscribe();
  }

  async drain(): Promise<void> {
    this.onEnd(this);
    // sub.drain() unsubscribes and delivers what the server already sent; then
    // we wait for the handlers those deliveries started.
    if (!this.sub.isClosed() && !this.sub.isDraining()) await this.sub.drain().catch(() => undefined);
    await this.sub.closed.catch(() => undefined);
    await this.running.idle();
  }
}

class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  private readonly inst: Instrumentation;
  private readonly subscriptions = new Set<NatsTransportSubscription>();
  private readonly requests = new InFlight();
  private readonly outbox = new Outbox();
  /** Replies to our requests (see {@link ReplyInbox}). */
  private readonly replies: ReplyInbox;
  private draining = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsTransportOptions,
  ) {
    this.inst = instrumentation('nats', options);
    this.replies = new ReplyInbox(nc, options.inboxPrefix);
  }

  request(subject: string, data: Uint8Array, options: { headers?: MessageHeaders; timeoutMs: number }): Promise<ReceivedReply> {
    if (this.nc.isClosed()) return Promise.reject(new TransportClosedError(`request ${subject}`));
    const work = instrumentedRequest(this.inst, subject, data, options, (headers) => this.send(subject, data, headers, options.timeoutMs));
    this.requests.track(work);
    return work;
  }

  /** Request/reply over the shared {@link ReplyInbox}, the send deferred to the {@link Outbox}. */
  private send(subject: string, data: Uint8Array, headers: MessageHeaders, timeoutMs: number): Promise<ReceivedReply> {
    const natsHeaders = toNats(headers);
    return this.replies.send(
      subject,
      timeoutMs,
      `request ${subject}`,
      (replyTo) => this.nc.publish(subject, data, { reply: replyTo, headers: natsHeaders }),
      (send) => this.outbox.push(send),
    );
  }

  serve(subject: string, options: { queue: string }, handler: RequestHandler): Subscription {
    return this.attach(subject, options.queue, (m, msg) =>
      handleRequest(this.inst, options.queue, msg, handler).then((reply) => {
        if (m.reply === undefined) return;
        this.outbox.push(() => {
          try {
            m.respond(reply.data.byteLength === 0 ? Empty : reply.data, { headers: toNats(reply.headers ?? {}) });
          } catch {
            // The connection closed under a running handler; the requester times out.
          }
        });
      }),
    );
  }

  publish(subject: string, data: Uint8Array, options?: { headers?: MessageHeaders }): void {
    instrumentedPublish(this.inst, subject, data, options?.headers, (headers) => {
      // What nats.js would refuse at once is refused here; the send itself waits for the outbox.
      if (this.nc.isClosed() || this.nc.isDraining()) throw new TransportClosedError(`publish ${subject}`);
      const natsHeaders = toNats(headers);
      this.outbox.push(() => {
        try {
          this.nc.publish(subject, data, { headers: natsHeaders });
        } catch {
          // Closed between the call and the send: fire and forget loses it, as a broken connection would.
        }
      });
    });
  }

  subscribe(subject: string, handler: MessageHandler, options?: { queue?: string }): Subscription {
    const queue = options?.queue;
    return this.attach(subject, queue, (_m, msg) => handleMessage(this.inst, queue, msg, handler));
  }

  async flush(): Promise<void> {
    this.outbox.run();
    try {
      await this.nc.flush();
    } catch (err) {
      throw mapError(err, '', 'flush');
    }
  }

  async drain(): Promise<void> {
    if (this.draining || this.nc.isClosed()) return;
    this.draining = true;
    // Our subscriptions first, so running handlers can still send requests
    // (nc.drain() would also drain the reply inbox they need); then the connection.
    await Promise.all([...this.subscriptions].map((s) => s.drain()));
    await this.requests.idle();
    this.outbox.run();
    if (this.options.ownsConnection === false) {
      this.replies.leave(); // the connection stays: leave no inbox on it
      await this.nc.flush().catch(() => undefined);
    } else if (!this.nc.isClosed() && !this.nc.isDraining()) {
      await this.nc.drain();
    }
  }

  async close(): Promise<void> {
    this.draining = true;
    for (const s of [...this.subscriptions]) s.unsubscribe();
    this.outbox.run(); // what was sent before close() still goes out, as it did when nats.js queued it
    this.replies.failAll();
    if (this.options.ownsConnection === false) {
      if (!this.nc.isClosed()) this.replies.leave();
    } else if (!this.nc.isClosed()) {
      await this.nc.close();
    }
  }

  private attach(
    subject: string,
    queue: string | undefined,
    run: (m: Msg, msg: TransportMessage) => Promise<void> | undefined,
  ): Subscription {
    if (this.draining || this.nc.isClosed()) throw new TransportClosedError(`subscribe to ${subject}`);
    parseSubscriptionSubject(subject);
    const running = new InFlight();
    let sub: NatsSubscription;
    try {
      sub = this.nc.subscribe(subject, {
        ...(queue === undefined ? {} : { queue }),
        callback: (err, m) => {
          if (err !== null) return; // subscription-level errors (permissions) end the subscription
          const work = run(m, { subject: m.subject, data: m.data, headers: fromNats(m.headers) });
          if (work !== undefined) running.track(work);
        },
      });
    } catch (err) {
      throw mapError(err, subject, `subscribe to ${subject}`);
    }
    const handle = new NatsTransportSubscription(sub, running, subject, queue, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(handle);
    return handle;
  }
}

/**
 * The transport over a nats.js v2 connection: NATS request/reply with queue
 * groups, service errors in the `Nats-Service-Error(-Code)` headers, W3C trace
 * context in headers.
 *
 * @example
 * const transport = createNatsTransport(await connect({ servers: process.env.NATS_URL }));
 */
export function createNatsTransport(nc: NatsConnection, options: NatsTransportOptions = {}): Transport {
  return new NatsTransport(nc, options);
}

/**
 * Connects a kmsgrid service to NATS the one way they all do: reconnect
 * forever (a NATS restart must not stop a service), and no async stack
 * traces (nats.js would capture an Error, a stack walk, per request for its
 * timeout messages; this transport maps timeouts to its own typed errors).
 *
 * @example const transport = createNatsTransport(await connectNats(process.env.NATS_URL!, 'kms-ingress pod-1'));
 */
export function connectNats(servers: string, name: string): Promise<NatsConnection> {
  return connect({ servers, name, maxReconnectAttempts: -1, noAsyncTraces: true });
}

/** A service's readiness check of its NATS connection: open, and the server answers a PING. */
export function natsReadiness(nc: NatsConnection): { name: 'nats'; check(): Promise<void> } {
  return {
    name: 'nats',
    async check() {
      if (nc.isClosed()) throw new TransportClosedError('NATS readiness');
      await nc.flush();
    },
  };
}
