import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR,
  CORRELATION_ID_HEADER,
  extractTraceContext,
  getCorrelationId,
  getTracer,
  injectTraceContext,
  startTelemetry,
  withCorrelationId,
  withSpan,
  type TelemetryHandle,
} from './index.js';

const exporter = new InMemorySpanExporter();
let telemetry: TelemetryHandle;

beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'telemetry-unit', exporter, env: {} });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

const spanNamed = (name: string) => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span ${name}`);
  return span;
};

describe('trace context across a message hop', () => {
  it('links the consumer span to the producer span by W3C headers', async () => {
    const ingress = getTracer('kms-ingress');
    const policy = getTracer('activation-policy');
    const headers: Record<string, string> = {};

    await withSpan(ingress, 'ingress.send', { [ATTR.kmsVersion]: '6.0' }, () => {
      injectTraceContext(headers);
    }, { kind: SpanKind.PRODUCER });

    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // The "other service" sees only the headers; nothing is active here.
    expect(trace.getActiveSpan()).toBeUndefined();
    const parent = extractTraceContext({ ...headers });
    await withSpan(policy, 'policy.process', {}, (span) => {
      expect(trace.getActiveSpan()).toBe(span);
    }, { kind: SpanKind.CONSUMER, context: parent });

    const producer = spanNamed('ingress.send');
    const consumer = spanNamed('policy.process');
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.parentSpanContext?.isRemote).toBe(true);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(producer.attributes[ATTR.kmsVersion]).toBe('6.0');
    expect(consumer.resource.attributes['service.name']).toBe('telemetry-unit');
  });

  it('accepts a setter and a getter, and header names in any case', async () => {
    const tracer = getTracer('t');
    const sent = new Map<string, string>();
    await withSpan(tracer, 'send', {}, () => injectTraceContext((k, v) => sent.set(k.toUpperCase(), v)));
    const viaGetter = extractTraceContext((k) => sent.get(k.toUpperCase()));
    const viaRecord = extractTraceContext(Object.fromEntries(sent));
    const sentTraceId = spanNamed('send').spanContext().traceId;
    expect(trace.getSpanContext(viaGetter)?.traceId).toBe(sentTraceId);
    expect(trace.getSpanContext(viaRecord)?.traceId).toBe(sentTraceId);
  });

  it('carries the correlation id through the headers', () => {
    const headers: Record<string, string> = {};
    withCorrelationId('corr-123', () => injectTraceContext(headers));
    expect(headers[CORRELATION_ID_HEADER]).toBe('corr-123');
    expect(headers['traceparent']).toBeUndefined(); // no active span: nothing to link
    expect(getCorrelationId(extractTraceContext(headers))).toBe('corr-123');
  });

  it('yields a context without a span for missing or malformed traceparent', () => {
    expect(trace.getSpanContext(extractTraceContext({}))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: '00-zz-yy-01' }))).toBeUndefined();
    expect(getCorrelationId(extractTraceContext({}))).toBeUndefined();
  });
});

describe('withSpan', () => {
  it('records the exception, sets ERROR and rethrows', async () => {
    const tracer = getTracer('t');
    await expect(withSpan(tracer, 'boom', {}, () => { throw new RangeError('bad count'); })).rejects.toThrow('bad count');
    const span = spanNamed('boom');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad count' });
    expect(span.attributes[ATTR.errorType]).toBe('RangeError');
    expect(span.events.map((e) => e.name)).toContain('exception');
  });

  it('returns the value, ends the span and restores the outer context', async () => {
    const tracer = getTracer('t');
    const before = context.active();
    const value = await withSpan(tracer, 'ok', { [ATTR.hresult]: 0 }, async () => 42);
    expect(value).toBe(42);
    expect(context.active()).toBe(before);
    expect(spanNamed('ok').attributes[ATTR.hresult]).toBe(0);
    expect(spanNamed('ok').ended).toBe(true);
  });
});
