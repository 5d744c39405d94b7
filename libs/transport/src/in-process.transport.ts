import { NoRespondersError, TransportClosedError } from './errors.js';
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
import { Deadlines, PendingRequest } from './pending-requests.js';
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

/** Where a request's reply goes (the requester's pending entry). */
interface Respond {
  reply(reply: TransportReply): void;
}

interface BusSubscription {
  readonly pattern: readonly string[];
  readonly queue: string | undefined;
  /** Counts a delivery that {@link run} will carry out on a later turn. */
  accept(): void;
  /** Runs an accepted delivery (never throws). */
  run(msg: TransportMessage, respond: Respond | undefined): void;
}

/** A queue group's members for one subject, and whose turn it is. */
interface GroupRoute {
  readonly members: BusSubscription[];
  turn: number;
}

/** Who receives a subject: computed once per subject while the subscriptions stay the same. */
interface Route {
  readonly plain: readonly BusSubscription[];
  readonly groups: readonly GroupRoute[];
}

/** Routes cached at most; past it the cache starts over (subjects are few in practice). */
const MAX_ROUTES = 1024;

/**
 * The in-memory "server" that in-process transports attach to, like NATS
 * connections to one server. Routing follows NATS: every plain subscriber
 * gets a message, each queue group one member (round-robin here, random in
 * NATS). Deliveries are asynchronous like a network hop: the sender's code
 * runs on before any handler; everything routed in one turn is delivered by
 * one setImmediate, in order.
 */
export class InProcessBus {
  private readonly subscriptions = new Set<BusSubscription>();
  private readonly routes = new Map<string, Route>();
  private queue: { sub: BusSubscription; msg: TransportMessage; respond: Respond | undefined }[] = [];
  private scheduled = false;

  /** @internal */
  add(sub: BusSubscription): void {
    this.subscriptions.add(sub);
    this.routes.clear();
  }

  /** @internal */
  remove(sub: BusSubscription): void {
    if (this.subscriptions.delete(sub)) this.routes.clear();
  }

  /**
   * Routes a message; returns how many subscriptions it went to. Takes
   * ownership of `headers`: the first receiver gets that object, others
   * copies, so no side can mutate another's. @internal
   */
  route(subject: string, data: Uint8Array, headers: MessageHeaders, respond: Respond | undefined): number {
    const route = this.routeOf(subject);
    let count = 0;
    for (const sub of route.plain) this.enqueue(sub, subject, data, count++ === 0 ? headers : { ...headers }, respond);
    for (const group of route.groups) {
      const sub = group.members[group.turn++ % group.members.length]!;
      this.enqueue(sub, subject, data, count++ === 0 ? headers : { ...headers }, respond);
    }
    return count;
  }

  /** Whether a message on `subject` would reach any subscription now. */
  hasSubscribers(subject: string): boolean {
    const route = this.routeOf(subject);
    return route.plain.length > 0 || route.groups.length > 0;
  }

  private enqueue(sub: BusSubscription, subject: string, data: Uint8Array, headers: MessageHeaders, respond: Respond | undefined): void {
    sub.accept();
    this.queue.push({ sub, msg: { subject, data, headers }, respond });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.deliverAll);
  }

  private readonly deliverAll = (): void => {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const d of batch) d.sub.run(d.msg, d.respond);
  };

  private routeOf(subject: string): Route {
    const cached = this.routes.get(subject);
    if (cached !== undefined) return cached;
    const plain: BusSubscription[] = [];
    const groups = new Map<string, GroupRoute>();
    for (const sub of this.subscriptions) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      if (sub.queue === undefined) {
        plain.push(sub);
      } else {
        const group = groups.get(sub.queue);
        if (group === undefined) groups.set(sub.queue, { members: [sub], turn: 0 });
        else group.members.push(sub);
      }
    }
    const route: Route = { plain, groups: [...groups.values()] };
    if (this.routes.size >= MAX_ROUTES) this.routes.clear();
    this.routes.set(subject, route);
    return route;
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

/** Runs one delivery and calls `done` once when its handler has finished (synchronously or later). */
type Run = (msg: TransportMessage, respond: Respond | undefined, done: () => void) => void;

class InProcessSubscription implements Subscription, BusSubscription {
  readonly pattern: readonly string[];
  private readonly running = new InFlight();
  private active = true;
  private readonly finished = (): void => this.running.end();

  constructor(
    private readonly bus: InProcessBus,
    readonly subject: string,
    readonly queue: string | undefined,
    private readonly handle: Run,
    private readonly onEnd: (sub: InProcessSubscription) => void,
  ) {
    this.pattern = parseSubscriptionSubject(subject);
  }

  accept(): void {
    this.running.begin();
  }

  run(msg: TransportMessage, respond: Respond | undefined): void {
    if (!this.active) return this.finished();
    try {
      this.handle(msg, respond, this.finished);
    } catch {
      // The instrumentation never throws; if it did, the requester times out as with a lost message.
      this.finished();
    }
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

/** The in-process transport: a {@link Transport} that can also tell whether a subject has subscribers. */
export interface InProcessTransport extends Transport {
  readonly kind: 'in-process';
  /** Whether a message published on `subject` now would reach anyone (in-process publishers skip work nobody receives). */
  hasSubscribers(subject: string): boolean;
}

class InProcessTransportImpl implements InProcessTransport {
  readonly kind = 'in-process' as const;
  private state: State = 'open';
  private readonly subscriptions = new Set<InProcessSubscription>();
  private readonly deadlines = new Deadlines();
  private readonly requests = new InFlight();
  private readonly requestSettled = (): void => {
    this.deadlines.settled();
    this.requests.end();
  };
  private readonly inst: Instrumentation;
  private readonly bus: InProcessBus;

  constructor(options: InProcessTransportOptions) {
    this.bus = options.bus ?? new InProcessBus();
    this.inst = instrumentation('inprocess', options);
  }

  request(subject: string, data: Uint8Array, options: { headers?: MessageHeaders; timeoutMs: number }): Promise<ReceivedReply> {
    if (this.state === 'closed') return Promise.reject(new TransportClosedError(`request ${subject}`));
    return instrumentedRequest(this.inst, subject, data, options, (headers) => this.send(subject, data, headers, options.timeoutMs));
  }

  private send(subject: string, data: Uint8Array, headers: MessageHeaders, timeoutMs: number): Promise<ReceivedReply> {
    return new Promise<ReceivedReply>((resolve, reject) => {
      const pending = new PendingRequest(subject, '', performance.now() + timeoutMs, timeoutMs, resolve, reject, this.requestSettled);
      this.requests.begin();
      this.deadlines.add(pending);
      if (this.bus.route(subject, data, headers, pending) === 0) pending.fail(new NoRespondersError(subject));
    });
  }

  serve(subject: string, options: { queue: string }, handler: RequestHandler): Subscription {
    return this.attach(subject, options.queue, (msg, respond, done) => {
      void handleRequest(this.inst, options.queue, msg, handler).then((reply) => {
        respond?.reply(reply);
        done();
      });
    });
  }

  hasSubscribers(subject: string): boolean {
    return this.state !== 'closed' && this.bus.hasSubscribers(subject);
  }

  publish(subject: string, data: Uint8Array, options?: { headers?: MessageHeaders }): void {
    if (this.state === 'closed') throw new TransportClosedError(`publish ${subject}`);
    instrumentedPublish(this.inst, subject, data, options?.headers, (headers) => {
      this.bus.route(subject, data, headers, undefined);
    });
  }

  subscribe(subject: string, handler: MessageHandler, options?: { queue?: string }): Subscription {
    const queue = options?.queue;
    return this.attach(subject, queue, (msg, _respond, done) => {
      const running = handleMessage(this.inst, queue, msg, handler);
      if (running === undefined) done();
      else void running.then(done);
    });
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
    this.deadlines.stop();
  }

  async close(): Promise<void> {
    this.state = 'closed';
    for (const sub of [...this.subscriptions]) sub.unsubscribe();
    for (const pending of this.deadlines.waiting()) pending.fail(new TransportClosedError('wait for a reply'));
    this.deadlines.stop();
  }

  private attach(subject: string, queue: string | undefined, run: Run): Subscription {
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
export function createInProcessTransport(options: InProcessTransportOptions = {}): InProcessTransport {
  return new InProcessTransportImpl(options);
}
