import { randomUUID } from 'node:crypto';
import {
  context as otelContext,
  createContextKey,
  ROOT_CONTEXT,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** Header carrying the kmsgrid correlation id across every hop (ARCHITECTURE.md, Contracts). */
export const CORRELATION_ID_HEADER = 'kmsgrid-correlation-id';
/** W3C Trace Context header names (https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** Message headers as a plain map, or a setter such as `(k, v) => natsHeaders.set(k, v)`. */
export type HeaderSink = Record<string, string> | ((key: string, value: string) => void);
/** Message headers as a plain map, or a getter such as `(k) => natsHeaders.get(k) || undefined`. */
export type HeaderSource = Readonly<Record<string, string | undefined>> | ((key: string) => string | undefined);

const correlationKey = createContextKey('kmsgrid.correlation-id');
// A fixed W3C propagator rather than the global one: headers carry trace
// context the same way whether or not an app registered the SDK.
const w3c = new W3CTraceContextPropagator();

const setter: TextMapSetter<(key: string, value: string) => void> = {
  set: (sink, key, value) => sink(key, value),
};
const getter: TextMapGetter<(key: string) => string | undefined> = {
  get: (source, key) => source(key),
  keys: () => [TRACEPARENT_HEADER, TRACESTATE_HEADER, CORRELATION_ID_HEADER],
};

function toSetter(sink: HeaderSink): (key: string, value: string) => void {
  return typeof sink === 'function' ? sink : (key, value) => { sink[key] = value; };
}

function toGetter(source: HeaderSource): (key: string) => string | undefined {
  if (typeof source === 'function') return source;
  return (key) => {
    const exact = source[key];
    if (exact !== undefined) return exact;
    // Header names are case-insensitive on the wire (HTTP semantics, which NATS headers follow).
    const lower = key.toLowerCase();
    for (const [k, v] of Object.entries(source)) if (k.toLowerCase() === lower) return v;
    return undefined;
  };
}

/** The correlation id carried by `ctx` (default: the active context), if any. */
export function getCorrelationId(ctx: Context = otelContext.active()): string | undefined {
  const value = ctx.getValue(correlationKey);
  return typeof value === 'string' ? value : undefined;
}

/** A copy of `ctx` carrying `correlationId`. */
export function setCorrelationId(ctx: Context, correlationId: string): Context {
  return ctx.setValue(correlationKey, correlationId);
}

/**
 * Runs `fn` with `correlationId` in the active context, so every message sent
 * inside carries it.
 *
 * @example await withCorrelationId(randomUUID(), () => client.call(decideRpc, req));
 */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return otelContext.with(setCorrelationId(otelContext.active(), correlationId), fn);
}

/** A fresh correlation id (UUID v4). */
export function newCorrelationId(): string {
  return randomUUID();
}

/**
 * Writes `traceparent`/`tracestate` for the span in `ctx` (default: the active
 * context) and the correlation id into `headers`. With no active span no
 * trace headers are written; the correlation id is written when `ctx` has one.
 *
 * @example const headers: Record<string, string> = {}; injectTraceContext(headers);
 */
export function injectTraceContext(headers: HeaderSink, ctx: Context = otelContext.active()): void {
  const set = toSetter(headers);
  w3c.inject(ctx, set, setter);
  const correlationId = getCorrelationId(ctx);
  if (correlationId !== undefined) set(CORRELATION_ID_HEADER, correlationId);
}

/**
 * Reads W3C trace context and the correlation id from `headers` into a
 * context derived from `base` (default ROOT_CONTEXT, so a receiver's parent
 * comes only from the message). Use it as the parent of the consumer span.
 *
 * @example withSpan(tracer, name, attrs, handle, { kind: SpanKind.SERVER, context: extractTraceContext(msg.headers) })
 */
export function extractTraceContext(headers: HeaderSource, base: Context = ROOT_CONTEXT): Context {
  const get = toGetter(headers);
  let ctx = w3c.extract(base, get, getter);
  const correlationId = get(CORRELATION_ID_HEADER);
  if (correlationId !== undefined && correlationId !== '') ctx = setCorrelationId(ctx, correlationId);
  return ctx;
}
