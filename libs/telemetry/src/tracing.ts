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
  const spanOptions = options.kind === undefined ? { attributes } : { attributes, kind: options.kind };
  return tracer.startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

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
