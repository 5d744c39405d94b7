// The parts both transports share: trace context in and out of headers,
// service-error encoding, and tracking of running handlers for drain().
import { context, SpanKind, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR,
  CORRELATION_ID_HEADER,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  extractTraceContext,
  getCorrelationId,
  getTracer,
  injectTraceContext,
  messagingSpanName,
  newCorrelationId,
  recordError,
  startSpanLazily,
} from '@kmsgrid/telemetry';
import { RemoteHandlerError, SERVICE_ERROR_CODE, ServiceError } from './errors.js';
import { assertHeaders, assertPublishSubject } from './subject.js';
import type {
  MessageHandler,
  MessageHeaders,
  ReceivedReply,
  RequestHandler,
  RequestOptions,
  TransportMessage,
  TransportReply,
} from './transport.js';

/** Headers of the NATS services convention (ADR-32 "Service API") plus kmsgrid's symbolic error name. */
export const SERVICE_ERROR_HEADERS = {
  description: 'Nats-Service-Error',
  code: 'Nats-Service-Error-Code',
  kind: 'kmsgrid-error',
} as const;

/** Options both transport factories take. */
export interface TransportOptions {
  /** Tracer for messaging spans; default `getTracer('@kmsgrid/transport')` (no-op until an app starts the SDK). */
  readonly tracer?: Tracer;
  /** Called when a `subscribe` handler throws (the error is also recorded on its span). */
  readonly onHandlerError?: (err: unknown, msg: TransportMessage) => void;
}

export interface Instrumentation {
  readonly tracer: Tracer;
  readonly system: string;
  readonly onHandlerError: ((err: unknown, msg: TransportMessage) => void) | undefined;
}

export function instrumentation(system: string, options: TransportOptions): Instrumentation {
  return {
    tracer: options.tracer ?? getTracer('@kmsgrid/transport'),
    system,
    onHandlerError: options.onHandlerError,
  };
}

/** Outgoing headers: the caller's, then trace context of `ctx` and a correlation id. */
function outgoingHeaders(user: MessageHeaders | undefined, ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  injectTraceContext(headers, ctx);
  if (user !== undefined) {
    for (const k of Object.keys(user)) {
      if (k !== TRACEPARENT_HEADER && k !== TRACESTATE_HEADER) headers[k] = user[k]!;
    }
  }
  headers[CORRELATION_ID_HEADER] ??= getCorrelationId(ctx) ?? newCorrelationId();
  return headers;
}

/**
 * Client side of a request: CLIENT span, headers, and service-error replies
 * turned into RemoteHandlerError. The span is never made active: only the
 * headers carry it (the receiver's parent comes from them), which spares a
 * context switch and an async frame per request. `send` gets headers it may
 * hand on without copying (nobody else holds them).
 */
export function instrumentedRequest(
  inst: Instrumentation,
  subject: string,
  data: Uint8Array,
  options: RequestOptions,
  send: (headers: MessageHeaders) => Promise<ReceivedReply>,
): Promise<ReceivedReply> {
  try {
    assertPublishSubject(subject);
    if (options.headers !== undefined) assertHeaders(options.headers);
  } catch (err) {
    return Promise.reject(err);
  }
  const parent = context.active();
  const span = inst.tracer.startSpan(messagingSpanName('send', subject), CLIENT, parent);
  let headers: Record<string, string>;
  let sent: Promise<ReceivedReply>;
  try {
    headers = outgoingHeaders(options.headers, trace.setSpan(parent, span));
    sent = send(headers);
  } catch (err) {
    endWithError(span, err);
    return Promise.reject(err);
  }
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR.messagingSystem]: inst.system,
      [ATTR.messagingDestination]: subject,
      [ATTR.messagingOperationType]: 'send',
      [ATTR.messagingOperationName]: 'request',
      [ATTR.messagingBodySize]: data.byteLength,
      [ATTR.correlationId]: headers[CORRELATION_ID_HEADER] ?? '',
    });
  }
  return sent.then(
    (reply) => {
      const error = remoteError(subject, reply.headers);
      if (error !== undefined) {
        span.setAttribute(ATTR.serviceErrorCode, error.code);
        endWithError(span, error);
        throw error;
      }
      span.end();
      return reply;
    },
    (err: unknown) => {
      endWithError(span, err);
      throw err;
    },
  );
}

const CLIENT = { kind: SpanKind.CLIENT } as const;
const SERVER = { kind: SpanKind.SERVER } as const;
const CONSUMER = { kind: SpanKind.CONSUMER } as const;

function endWithError(span: Span, err: unknown): void {
  recordError(span, err);
  span.end();
}

/** Publisher side: a PRODUCER span around a synchronous send. */
export function instrumentedPublish(
  inst: Instrumentation,
  subject: string,
  data: Uint8Array,
  user: MessageHeaders | undefined,
  send: (headers: MessageHeaders) => void,
): void {
  assertPublishSubject(subject);
  if (user !== undefined) assertHeaders(user);
  const parent = context.active();
  const span = startSpanLazily(
    inst.tracer,
    messagingSpanName('publish', subject),
    {
      [ATTR.messagingSystem]: inst.system,
      [ATTR.messagingDestination]: subject,
      [ATTR.messagingOperationType]: 'publish',
      [ATTR.messagingBodySize]: data.byteLength,
    },
    SpanKind.PRODUCER,
    parent,
  );
  try {
    send(outgoingHeaders(user, trace.setSpan(parent, span)));
  } catch (err) {
    recordError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function processAttributes(inst: Instrumentation, msg: TransportMessage, queue: string | undefined): Attributes {
  const attributes: Attributes = {
    [ATTR.messagingSystem]: inst.system,
    [ATTR.messagingDestination]: msg.subject,
    [ATTR.messagingOperationType]: 'process',
    [ATTR.messagingBodySize]: msg.data.byteLength,
  };
  if (queue !== undefined) attributes[ATTR.messagingConsumerGroup] = queue;
  const correlationId = msg.headers[CORRELATION_ID_HEADER];
  if (correlationId !== undefined) attributes[ATTR.correlationId] = correlationId;
  return attributes;
}

/** Starts the receiving span (SERVER or CONSUMER) under the sender's context from the headers. */
function startProcessSpan(
  inst: Instrumentation,
  msg: TransportMessage,
  queue: string | undefined,
  kind: typeof SERVER | typeof CONSUMER,
): { span: Span; active: Context } {
  const parent = extractTraceContext(msg.headers);
  const span = inst.tracer.startSpan(messagingSpanName('process', msg.subject), kind, parent);
  if (span.isRecording()) span.setAttributes(processAttributes(inst, msg, queue));
  return { span, active: trace.setSpan(parent, span) };
}

/**
 * Server side of a request: runs `handler` in a SERVER span whose parent is
 * the requester's span (from the headers). Never rejects: a throw becomes a
 * service-error reply. The reply's headers are a fresh object.
 */
export function handleRequest(
  inst: Instrumentation,
  queue: string | undefined,
  msg: TransportMessage,
  handler: RequestHandler,
): Promise<TransportReply> {
  const correlationId = msg.headers[CORRELATION_ID_HEADER];
  const { span, active } = startProcessSpan(inst, msg, queue, SERVER);
  let pending: Promise<TransportReply>;
  try {
    pending = Promise.resolve(context.with(active, handler, undefined, msg));
  } catch (err) {
    pending = Promise.reject(err);
  }
  return pending.then(
    (reply) => {
      span.end();
      try {
        return { data: reply.data, headers: replyHeaders(correlationId, reply.headers) };
      } catch (err) {
        return errorReply(correlationId, err);
      }
    },
    (err: unknown) => {
      if (err instanceof ServiceError) span.setAttribute(ATTR.serviceErrorCode, err.code);
      endWithError(span, err);
      return errorReply(correlationId, err);
    },
  );
}

/** The correlation id of the request, then the handler's own (checked) headers. */
function replyHeaders(correlationId: string | undefined, own: MessageHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (correlationId !== undefined) headers[CORRELATION_ID_HEADER] = correlationId;
  if (own !== undefined) {
    assertHeaders(own);
    Object.assign(headers, own);
  }
  return headers;
}

function errorReply(correlationId: string | undefined, err: unknown): TransportReply {
  const headers = serviceErrorHeaders(err);
  return { data: new Uint8Array(0), headers: correlationId === undefined ? headers : { [CORRELATION_ID_HEADER]: correlationId, ...headers } };
}

/**
 * Consumer side of publish/subscribe: CONSUMER span; a throw goes to
 * `onHandlerError`. Never throws or rejects; returns a promise only when the
 * handler did (so a synchronous handler costs no promise).
 */
export function handleMessage(
  inst: Instrumentation,
  queue: string | undefined,
  msg: TransportMessage,
  handler: MessageHandler,
): Promise<void> | undefined {
  const { span, active } = startProcessSpan(inst, msg, queue, CONSUMER);
  const failed = (err: unknown): void => {
    endWithError(span, err);
    inst.onHandlerError?.(err, msg);
  };
  let result: void | Promise<void>;
  try {
    result = context.with(active, handler, undefined, msg);
  } catch (err) {
    failed(err);
    return undefined;
  }
  if (result === undefined || typeof (result as { then?: unknown }).then !== 'function') {
    span.end();
    return undefined;
  }
  return Promise.resolve(result).then(() => span.end(), failed);
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

function serviceErrorHeaders(err: unknown): Record<string, string> {
  if (err instanceof ServiceError) {
    return {
      [SERVICE_ERROR_HEADERS.code]: String(err.code),
      [SERVICE_ERROR_HEADERS.description]: oneLine(err.message),
      ...(err.kind === undefined ? {} : { [SERVICE_ERROR_HEADERS.kind]: oneLine(err.kind) }),
    };
  }
  const description = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return {
    [SERVICE_ERROR_HEADERS.code]: String(SERVICE_ERROR_CODE.internal),
    [SERVICE_ERROR_HEADERS.description]: oneLine(description),
  };
}

function remoteError(subject: string, headers: MessageHeaders): RemoteHandlerError | undefined {
  const code = headers[SERVICE_ERROR_HEADERS.code];
  if (code === undefined) return undefined;
  const parsed = Number.parseInt(code, 10);
  return new RemoteHandlerError(
    subject,
    Number.isFinite(parsed) ? parsed : SERVICE_ERROR_CODE.internal,
    headers[SERVICE_ERROR_HEADERS.description] ?? '',
    headers[SERVICE_ERROR_HEADERS.kind],
  );
}

/**
 * Counts running work so drain() can wait for it: a counter and the waiters
 * of idle(), not a set of promises (each tracked promise would cost two more).
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  /** One more piece of work is running; call {@link end} once when it finishes. */
  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Counts `work` until it settles. */
  track(work: Promise<unknown>): void {
    this.begin();
    const end = () => this.end();
    work.then(end, end);
  }

  /** Resolves once nothing is running. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
