/** Message headers: single-valued, names compared exactly (send lower-case names). */
export type MessageHeaders = Readonly<Record<string, string>>;

/** A message as a handler sees it. `data` must be treated as read-only (the in-process transport shares it). */
export interface TransportMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
}

/** What a request handler answers. */
export interface TransportReply {
  readonly data: Uint8Array;
  readonly headers?: MessageHeaders;
}

/** A reply as the requester sees it. */
export interface ReceivedReply {
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
}

export interface RequestOptions {
  readonly headers?: MessageHeaders;
  readonly timeoutMs: number;
}

export interface ServeOptions {
  /** Queue group: replicas serving a subject with the same queue share the requests, each handled once. */
  readonly queue: string;
}

export interface SubscribeOptions {
  readonly queue?: string;
}

export interface PublishOptions {
  readonly headers?: MessageHeaders;
}

/** Answers one request. Throw a ServiceError to answer with a service error code. */
export type RequestHandler = (msg: TransportMessage) => Promise<TransportReply>;
/** Handles one published message; a throw is recorded on its span and reported to `onHandlerError`. */
export type MessageHandler = (msg: TransportMessage) => void | Promise<void>;

export interface Subscription {
  readonly subject: string;
  readonly queue: string | undefined;
  /** Stops delivery now; handlers already running finish on their own. */
  unsubscribe(): void;
  /** Stops delivery and resolves when every handler this subscription started has finished. */
  drain(): Promise<void>;
}

/**
 * Request/reply and publish/subscribe over NATS subjects, with queue groups
 * and W3C trace context in headers. Implemented over nats.js
 * (`createNatsTransport`) and in memory (`createInProcessTransport`); both
 * pass `transportContractSuite`.
 *
 * @example
 * transport.serve('kmsgrid.policy.v1.decide', { queue: 'activation-policy' }, async (msg) => ({ data: decide(msg.data) }));
 * const reply = await transport.request('kmsgrid.policy.v1.decide', bytes, { timeoutMs: 2000 });
 */
export interface Transport {
  readonly kind: 'nats' | 'in-process';
  /**
   * Sends a request and resolves with the first reply. Runs in a CLIENT span
   * whose context (and a correlation id) travels in the headers. Rejects with
   * TransportTimeoutError, NoRespondersError, RemoteHandlerError or
   * TransportClosedError.
   */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<ReceivedReply>;
  /** Answers requests on `subject` inside a SERVER span whose parent is the requester's span. */
  serve(subject: string, options: ServeOptions, handler: RequestHandler): Subscription;
  /** Fire and forget, with trace context and correlation id in the headers. */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): void;
  /** Receives published messages (`*` and `>` wildcards) inside CONSUMER spans. */
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): Subscription;
  /** Resolves when everything published so far has reached the server (in-process: when it is dispatched). */
  flush(): Promise<void>;
  /**
   * Graceful stop: no new deliveries, waits for running handlers (which may
   * still send requests), then closes.
   */
  drain(): Promise<void>;
  /** Immediate stop: pending requests reject with TransportClosedError. */
  close(): Promise<void>;
}
