export { ATTR, SPAN, messagingSpanName } from './attributes.js';
export type { AttributeName, MessagingOperation } from './attributes.js';
export { getTracer, withSpan, startSpanLazily, recordError } from './tracing.js';
export type { WithSpanOptions } from './tracing.js';
export {
  CORRELATION_ID_HEADER,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  injectTraceContext,
  extractTraceContext,
  getCorrelationId,
  setCorrelationId,
  withCorrelationId,
  newCorrelationId,
} from './propagation.js';
export type { HeaderSink, HeaderSource } from './propagation.js';
// SDK entry: apps/*/src/main.ts only (see README). Libraries must never call it.
export { startTelemetry } from './sdk.js';
export type { TelemetryOptions, TelemetryHandle } from './sdk.js';
