import { NoRespondersError, TransportClosedError, TransportTimeoutError } from './errors.js';
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
import { parseSubscriptionSubject, subjectMatches } from './subject.js';
import type {
  MessageHandler,
  MessageHeaders,
  ReceivedReply,
  RequestHandler,
  Subscription,
  Transport,
  TransportMessage,
  TransportReply,
} from './transport.js';

type Respond = (reply: TransportReply) => void;

interface BusSubscription {
  readonly pattern: readonly string[];
  readonly queue: string | undefined;
  deliver(msg: TransportMessage, respond: Respond | undefined): void;
}

/**
 * The in-memory "server" that in-process transports attach to, like NATS
 * connections to one server. Routing follows NATS: every plain subscriber
 * gets a message, each queue group one member (round-robin here, random in
 * NATS).
 */
export class InProcessBus {
  private readonly subscriptions = new Set<BusSubscription>();
  private readonly roundRobin = new Map<string, number>();

  /** @internal */
  add(sub: BusSubscription): void {
    this.subscriptions.add(sub);
  }

  /** @internal */
  remove(sub: BusSubscription): void {
    this.subscriptions.delete(sub);
  }

  /** Routes a message; returns how many subscriptions it went to. @internal */
  route(subject: string, data: Uint8Array, headers: MessageHeaders, respond: Respond | undefined): number {
    const groups = new Map<string, BusSubscription[]>();
    const targets: BusSubscription[] = [];
    for (const sub of this.subscriptions) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      if (sub.queue === undefined) {
        targets.push(sub);
      } else {
        const members = groups.get(sub.queue);
        if (members === undefined) groups.set(sub.queue, [sub]);
        else members.push(sub);
      }
    }
    for (const [queue, members] of groups) {
      const key = `${queue}\u0000${subject}`;
      const turn = this.roundRobin.get(key) ?? 0;
      this.roundRobin.set(key, turn + 1);
      targets.push(members[turn % members.length]!);
    }
    for (const sub of targets) {
      // Each receiver gets its own headers object, so no side can mutate another's.
      sub.deliver({ subject, data, headers: { ...headers } }, respond);
    }
    return targets.length;
  }
}

/** A fresh bus; transports created with the same bus see each other. */
export function createInProcessBus(): InProcessBus {
  return new InProcessBus();
}

export interface InProcessTransportOptions extends TransportOptions {
  /** The bus to attach to; default a private one (then only this transport's own subscriptions answer). */
  readonly bus?: InProcessBus;
}

type State = 'open' | 'draining' | 'closed';

class InProcessSubscription implements Subscription, BusSubscription {
  readonly pattern: readonly string[];
  private readonly running = new InFlight();
  private active = true;

  constructor(
    private readonly bus: InProcessBus,
    readonly subject: string,
    readonly queue: string | undefined,
    private readonly run: (msg: TransportMessage, respond: Respond | undefined) => Promise<void>,
    private readonly onEnd: (sub: InProcessSubscription) => void,
  ) {
    this.pattern = parseSubscriptionSubject(subject);
  }

  deliver(msg: TransportMessage, respond: Respond | undefined): void {
    // Asynchronous like a network hop: the sender's code runs on before any handler.
    this.running.track(
      new Promise<void>((resolve) => {
        setImmediate(() => {
          if (!this.active) return resolve();
          this.run(msg, respond).then(resolve, resolve);
        });
      }),
    );
  }

  unsubscribe(): void {
    this.active = false;
    this.detach();
  }

  async drain(): Promise<void> {
    // Messages routed before the drain still run (NATS delivers what it already sent).
    this.detach();
    await this.running.idle();
    this.active = false;
  }

  private detach(): void {
    this.bus.remove(this);
    this.onEnd(this);
  }
}

class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const;
  private state: State = 'open';
  private readonly subscriptions = new Set<InProcessSubscription>();
  private readonly pending = new Set<(err: Error) => void>();
  private readonly requests = new InFlight();
  private readonly inst: Instrumentation;
  private readonly bus: InProcessBus;

  constructor(options: InProcessTransportOptions) {
    this.bus = options.bus ?? new InProcessBus();
    this.inst = instrumentation('inprocess', options);
  }

  request(subject: string, data: Uint8Array, options: { headers?: MessageHeaders; timeoutMs: number }): Promise<ReceivedReply> {
    if (this.state === 'closed') return Promise.reject(new TransportClosedError(`request ${subject}`));
    const work = instrumentedRequest(this.inst, subject, data, options, (headers) =>
      new Promise<ReceivedReply>((resolve, reject) => {
        let settled = false;
        const settle = (fn: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.pending.delete(fail);
          fn();
        };
        const fail = (err: Error) => settle(() => reject(err));
        const timer = setTimeout(() => fail(new TransportTimeoutError(subject, options.timeoutMs)), options.timeoutMs);
        this.pending.add(fail);
        const respond: Respond = (reply) =>
          settle(() => resolve({ data: reply.data, headers: { ...reply.headers } }));
        if (this.bus.route(subject, data, headers, respond) === 0) fail(new NoRespondersError(subject));
      }),
    );
    this.requests.track(work);
    return work;
  }

  serve(subject: string, options: { queue: string }, handler: RequestHandler): Subscription {
    return this.attach(subject, options.queue, async (msg, respond) => {
      const reply = await handleRequest(this.inst, options.queue, msg, handler);
      respond?.(reply);
    });
  }

  publish(subject: string, data: Uint8Array, options?: { headers?: MessageHeaders }): void {
    if (this.state === 'closed') throw new TransportClosedError(`publish ${subject}`);
    instrumentedPublish(this.inst, subject, data, options?.headers, (headers) => {
      this.bus.route(subject, data, headers, undefined);
    });
  }

  subscribe(subject: string, handler: MessageHandler, options?: { queue?: string }): Subscription {
    const queue = options?.queue;
    return this.attach(subject, queue, (msg) => handleMessage(this.inst, queue, msg, handler));
  }

  flush(): Promise<void> {
    // Deliveries are scheduled with setImmediate; one turn later they have started.
    return new Promise((resolve) => setImmediate(resolve));
  }

  async drain(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'draining';
    await Promise.all([...this.subscriptions].map((s) => s.drain()));
    await this.requests.idle();
    this.state = 'closed';
  }

  async close(): Promise<void> {
    this.state = 'closed';
    for (const sub of [...this.subscriptions]) sub.unsubscribe();
    for (const fail of [...this.pending]) fail(new TransportClosedError('wait for a reply'));
  }

  private attach(
    subject: string,
    queue: string | undefined,
    run: (msg: TransportMessage, respond: Respond | undefined) => Promise<void>,
  ): Subscription {
    if (this.state !== 'open') throw new TransportClosedError(`subscribe to ${subject}`);
    const sub = new InProcessSubscription(this.bus, subject, queue, run, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(sub);
    this.bus.add(sub);
    return sub;
  }
}

/**
 * A transport inside one process with the NATS contract: queue groups,
 * asynchronous dispatch, timeouts, no-responders, service errors and trace
 * context in headers. Payload bytes are passed, not copied: treat them as
 * read-only. Headers are copied per receiver.
 *
 * @example
 * const bus = createInProcessBus();
 * const policy = createInProcessTransport({ bus });
 * const ingress = createInProcessTransport({ bus });
 */
export function createInProcessTransport(options: InProcessTransportOptions = {}): Transport {
  return new InProcessTransport(options);
}
