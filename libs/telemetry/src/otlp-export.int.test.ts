import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import { extractTraceContext, getTracer, injectTraceContext, startTelemetry, withSpan } from './index.js';

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { name: string; traceId: string; parentSpanId?: string }[] }[];
  }[];
}

/** A minimal OTLP/HTTP receiver on loopback: accepts JSON POST /v1/traces. */
async function startReceiver(): Promise<{ server: Server; url: string; posts: { path: string; body: OtlpJson }[] }> {
  const posts: { path: string; body: OtlpJson }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      posts.push({ path: req.url, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, posts };
}

const spansOf = (body: OtlpJson) => (body.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []));
const serviceNameOf = (body: OtlpJson) =>
  body.resourceSpans?.[0]?.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await new Promise((resolve) => receiver.server.close(resolve));
});

describe('OTLP/HTTP export', () => {
  it('sends spans to the endpoint given as an option', async () => {
    const telemetry = startTelemetry({ serviceName: 'otlp-option', otlpEndpoint: receiver.url, env: {} });
    const tracer = getTracer('test');
    await withSpan(tracer, 'outer', {}, () => withSpan(tracer, 'inner', {}, () => undefined));
    await telemetry.shutdown();

    expect(receiver.posts.length).toBeGreaterThan(0);
    const body = receiver.posts[0]!.body;
    expect(serviceNameOf(body)).toBe('otlp-option');
    const spans = receiver.posts.flatMap((p) => spansOf(p.body));
    const outer = spans.find((s) => s.name === 'outer');
    const inner = spans.find((s) => s.name === 'inner');
    expect(outer).toBeDefined();
    expect(inner?.traceId).toBe(outer?.traceId);
  });

  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const telemetry = startTelemetry({ serviceName: 'otlp-env', env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` } });
    await withSpan(getTracer('test'), 'from-env', {}, () => undefined);
    await telemetry.forceFlush();
    expect(receiver.posts.flatMap((p) => spansOf(p.body)).map((s) => s.name)).toContain('from-env');
    expect(serviceNameOf(receiver.posts[0]!.body)).toBe('otlp-env');
    await telemetry.shutdown();
  });

  it('exports nothing without an endpoint', async () => {
    const telemetry = startTelemetry({ serviceName: 'otlp-none', env: {} });
    await withSpan(getTracer('test'), 'dropped', {}, () => undefined);
    await telemetry.shutdown();
    expect(receiver.posts).toHaveLength(0);
  });

  it('without any exporter records nothing but still carries the trace across hops', async () => {
    const telemetry = startTelemetry({ serviceName: 'otlp-none', env: {} });
    const headers: Record<string, string> = {};
    const tracer = getTracer('test');
    const outer = tracer.startSpan('outer');
    expect(outer.isRecording()).toBe(false);
    context.with(trace.setSpan(context.active(), outer), () => injectTraceContext(headers));
    outer.end();
    expect(headers['traceparent']).toMatch(new RegExp(`^00-${outer.spanContext().traceId}-[0-9a-f]{16}-00$`));
    const inner = tracer.startSpan('inner', {}, extractTraceContext(headers));
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
    inner.end();
    await telemetry.shutdown();
  });
});
