// The parts both transports share: trace context in and out of headers,
// service-error encoding, and tracking of running handlers for drain().
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
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
  withSpan,
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

/** Outgoing headers: the caller's, then trace context of the active span and a correlation id. */
function outgoingHeaders(user: MessageHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  injectTraceContext(headers);
  if (user !== undefined) {
    for (const [k, v] of Object.entries(user)) {
      if (k !== TRACEPARENT_HEADER && k !== TRACESTATE_HEADER) headers[k] = v;
    }
  }
  headers[CORRELATION_ID_HEADER] ??= getCorrelationId() ?? newCorrelationId();
  return headers;
}

/** Client side of a request: CLIENT span, headers, and service-error replies turned into RemoteHandlerError. */
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
  const attributes = {
    [ATTR.messagingSystem]: inst.system,
    [ATTR.messagingDestination]: subject,
    [ATTR.messagingOperationType]: 'send',
    [ATTR.messagingOperationName]: 'request',
    [ATTR.messagingBodySize]: data.byteLength,
  };
  return withSpan(inst.tracer, messagingSpanName('send', subject), attributes, async (span) => {
    const headers = outgoingHeaders(options.headers);
    span.setAttribute(ATTR.correlationId, headers[CORRELATION_ID_HEADER] ?? '');
    const reply = await send(headers);
    const error = remoteError(subject, reply.headers);
    if (error !== undefined) {
      span.setAttribute(ATTR.serviceErrorCode, error.code);
      throw error;
    }
    return reply;
  }, { kind: SpanKind.CLIENT });
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
  const span = inst.tracer.startSpan(messagingSpanName('publish', subject), {
    kind: SpanKind.PRODUCER,
    attributes: {
      [ATTR.messagingSystem]: inst.system,
      [ATTR.messagingDestination]: subject,
      [ATTR.messagingOperationType]: 'publish',
      [ATTR.messagingBodySize]: data.byteLength,
    },
  });
  try {
    const headers = context.with(trace.setSpan(context.active(), span), () => outgoingHeaders(user));
    send(headers);
  } catch (err) {
    recordError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function processAttributes(inst: Instrumentation, msg: TransportMessage, queue: string | undefined) {
  const correlationId = msg.headers[CORRELATION_ID_HEADER];
  return {
    [ATTR.messagingSystem]: inst.system,
    [ATTR.messagingDestination]: msg.subject,
    [ATTR.messagingOperationType]: 'process',
    [ATTR.messagingBodySize]: msg.data.byteLength,
    ...(queue === undefined ? {} : { [ATTR.messagingConsumerGroup]: queue }),
    ...(correlationId === undefined ? {} : { [ATTR.correlationId]: correlationId }),
  };
}

/**
 * Server side of a request: runs `handler` in a SERVER span whose parent is
 * the requester's span (from the headers). Never rejects: a throw becomes a
 * service-error reply.
 */
export async function handleRequest(
  inst: Instrumentation,
  queue: string | undefined,
  msg: TransportMessage,
  handler: RequestHandler,
): Promise<TransportReply> {
  const parent = extractTraceContext(msg.headers);
  const correlation: Record<string, string> = {};
  const correlationId = msg.headers[CORRELATION_ID_HEADER];
  if (correlationId !== undefined) correlation[CORRELATION_ID_HEADER] = correlationId;
  try {
    const reply = await withSpan(inst.tracer, messagingSpanName('process', msg.subject), processAttributes(inst, msg, queue), async (span) => {
      try {
        return await handler(msg);
      } catch (err) {
        if (err instanceof ServiceError) span.setAttribute(ATTR.serviceErrorCode, err.code);
        throw err;
      }
    }, { kind: SpanKind.SERVER, context: parent });
    const headers = { ...correlation, ...reply.headers };
    assertHeaders(headers);
    return { data: reply.data, headers };
  } catch (err) {
    return { data: new Uint8Array(0), headers: { ...correlation, ...serviceErrorHeaders(err) } };
  }
}

/** Consumer side of publish/subscribe: CONSUMER span; a throw goes to `onHandlerError`. */
export async function handleMessage(
  inst: Instrumentation,
  queue: string | undefined,
  msg: TransportMessage,
  handler: MessageHandler,
): Promise<void> {
  try {
    await withSpan(inst.tracer, messagingSpanName('process', msg.subject), processAttributes(inst, msg, queue), () => handler(msg), {
      kind: SpanKind.CONSUMER,
      context: extractTraceContext(msg.headers),
    });
  } catch (err) {
    inst.onHandlerError?.(err, msg);
  }
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

/** Tracks running handlers so drain() can wait for them. */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  track(work: Promise<unknown>): void {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(done);
    void done.then(() => this.running.delete(done));
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
