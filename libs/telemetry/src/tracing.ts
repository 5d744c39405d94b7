import {
  context as otelContext,
  trace,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR } from './attributes.js';

/**
 * A tracer from the global provider: a no-op until an app registers the SDK
 * with `startTelemetry` (libraries never do).
 *
 * @example const tracer = getTracer('@kmsgrid/cmid-ledger');
 */
export function getTracer(name: string, version?: string): Tracer {
  return trace.getTracer(name, version);
}

/** Options for {@link withSpan}. */
export interface WithSpanOptions {
  readonly kind?: SpanKind;
  /** Parent context (for example from `extractTraceContext`); defaults to the active one. */
  readonly context?: Context;
}

/**
 * Runs `fn` inside a new active span and ends it. A thrown error is recorded
 * as an exception, sets status ERROR and `error.type`, and is rethrown.
 *
 * @example
 * const decision = await withSpan(tracer, SPAN.policyDecide, { [ATTR.applicationId]: app }, async (span) => {
 *   span.setAttribute(ATTR.hresult, 0);
 *   return decide(req);
 * });
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T | Promise<T>,
  options: WithSpanOptions = {},
): Promise<T> {
  const parent = options.context ?? otelContext.active();
  const span = startSpanLazily(tracer, name, attributes, options.kind, parent);
  let result: T | Promise<T>;
  try {
    result = otelContext.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (err) {
    endWithError(span, err);
    return Promise.reject(err);
  }
  if (!isThenable(result)) {
    span.end();
    return Promise.resolve(result);
  }
  // One reaction instead of an async wrapper: with AsyncLocalStorage every promise costs a hook call.
  return Promise.resolve(result).then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      endWithError(span, err);
      throw err;
    },
  );
}

/**
 * Starts a span and sets `attributes` only when it records: a sampled-out
 * (non-recording) span ignores them, and handing them to `startSpan` would
 * still cost their sanitizing. Samplers therefore do not see the attributes
 * (kmsgrid's samplers do not look at them).
 *
 * @example const span = startSpanLazily(tracer, name, { [ATTR.hresult]: 0 }, SpanKind.CLIENT, context.active());
 */
export function startSpanLazily(tracer: Tracer, name: string, attributes: Attributes | undefined, kind: SpanKind | undefined, parent: Context): Span {
  const span = tracer.startSpan(name, kind === undefined ? undefined : { kind }, parent);
  if (attributes !== undefined && span.isRecording()) span.setAttributes(attributes);
  return span;
}

function endWithError(span: Span, err: unknown): void {
  recordError(span, err);
  span.end();
}

const isThenable = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** Marks `span` as failed by `err` (exception event, ERROR status, `error.type`). */
export function recordError(span: Span, err: unknown): void {
  if (err instanceof Error) {
    span.recordException(err);
    span.setAttribute(ATTR.errorType, err.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  } else {
    span.recordException(String(err));
    span.setAttribute(ATTR.errorType, typeof err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
  }
}
