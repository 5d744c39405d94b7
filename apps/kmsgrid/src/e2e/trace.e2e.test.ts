// One activation = one trace: the all-in-one with the OpenTelemetry SDK and an
// in-memory exporter (this test is the composition root, as main.ts is).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR, SPAN, startTelemetry, type TelemetryHandle } from '@kmsgrid/telemetry';
import { postgresStorage, type HostStorage, type TestHost } from './testing/hosts.js';
import { ask, machines, type Machine } from './testing/machines.js';

const exporter = new InMemorySpanExporter();
let telemetry: TelemetryHandle;
let storage: HostStorage;
let h: TestHost;

beforeAll(async () => {
  // env: {} so that an OTEL_EXPORTER_OTLP_ENDPOINT of the machine does not add an exporter.
  telemetry = startTelemetry({ serviceName: 'kmsgrid-e2e', exporter, env: {} });
  storage = postgresStorage('trace');
  h = await storage.start();
});
afterAll(async () => {
  await storage?.dispose();
  await telemetry?.shutdown();
});

const spanId = (s: ReadableSpan) => s.spanContext().spanId;
const traceId = (s: ReadableSpan) => s.spanContext().traceId;
const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;

/** Activates one machine and returns its finished spans once the connection span has ended. */
async function traceOf(m: Machine): Promise<{ trace: ReadableSpan[]; all: ReadableSpan[] }> {
  exporter.reset();
  const answer = await ask(h.target, m);
  expect(answer).toMatchObject({ status: 'activated' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    await telemetry.forceFlush();
    const all = exporter.getFinishedSpans();
    const activation = all.find((s) => s.name === SPAN.activation && s.attributes[ATTR.cmid] === m.cmid);
    const trace = activation === undefined ? [] : all.filter((s) => traceId(s) === traceId(activation));
    // The connection span ends when the socket closes, shortly after the answer.
    if (trace.some((s) => s.name === SPAN.rpcConnection) || Date.now() > deadline) return { trace, all };
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one activation, one trace', () => {
  it('ingress -> transport -> policy -> transport -> ledger record, parent by parent, linked with the batch commit', async () => {
    const m = machines('Windows 7 Enterprise', 1, 'traced')[0] as Machine;
    const { trace, all } = await traceOf(m);
    const byName = (name: string) => {
      const found = trace.filter((s) => s.name === name);
      expect(found, `${name} in ${trace.map((s) => s.name).join(', ')}`).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    const connection = byName(SPAN.rpcConnection);
    const activation = byName(SPAN.activation);
    const sendDecide = byName('send kmsgrid.policy.v1.decide');
    const processDecide = byName('process kmsgrid.policy.v1.decide');
    const decide = byName(SPAN.policyDecide);
    const sendRecord = byName('send kmsgrid.ledger.v1.record');
    const processRecord = byName('process kmsgrid.ledger.v1.record');
    const record = byName(SPAN.ledgerRecord);

    // The chain, each span the child of the one before it.
    const chain = [connection, activation, sendDecide, processDecide, decide, sendRecord, processRecord, record];
    expect(parentId(connection)).toBeUndefined();
    for (let i = 1; i < chain.length; i++) {
      expect(parentId(chain[i] as ReadableSpan), `${chain[i]?.name} -> ${chain[i - 1]?.name}`).toBe(spanId(chain[i - 1] as ReadableSpan));
    }
    expect(connection.kind).toBe(SpanKind.SERVER);
    expect([sendDecide.kind, processDecide.kind, sendRecord.kind, processRecord.kind]).toEqual([SpanKind.CLIENT, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.SERVER]);
    // The facts of the request travel with it.
    expect(activation.attributes[ATTR.cmid]).toBe(m.cmid);
    expect(decide.attributes[ATTR.cmid]).toBe(m.cmid);
    expect(record.attributes[ATTR.cmid]).toBe(m.cmid);
    expect(decide.attributes[ATTR.currentCount]).toBe(1);
    expect(record.attributes[ATTR.currentCount]).toBe(1);
    // The record span lasts until its batch has committed: it contains the commit.
    const commit = all.filter((s) => s.name === SPAN.eventAppend && s.links.some((l) => l.context.spanId === spanId(record)));
    expect(commit).toHaveLength(1);
    expect(record.links.map((l) => l.context.spanId)).toContain(spanId(commit[0] as ReadableSpan));
    expect(commit[0]?.attributes['kmsgrid.ledger.batch.events']).toBeGreaterThanOrEqual(1);
    // Every span of the trace ended without error.
    expect(trace.filter((s) => s.status.code === 2).map((s) => s.name)).toEqual([]);
  }, 60_000);

  // The group commit is a child of the first request's record span (and linked with every request of its batch).
  it('the batch commit (Postgres) is in the activation trace, a child of its ledger record span', async () => {
    const m = machines('Windows 7 Enterprise', 1, 'traced-commit')[0] as Machine;
    const { trace } = await traceOf(m);
    const record = trace.find((s) => s.name === SPAN.ledgerRecord);
    const commit = trace.find((s) => s.name === SPAN.eventAppend);
    expect(commit).toBeDefined();
    expect(parentId(commit as ReadableSpan)).toBe(record && spanId(record));
  }, 60_000);

  // In the all-in-one the relay publishes on the in-process bus, to those who subscribe, inside the event's stored trace context.
  it('the event relayed for the activation continues its trace, to its in-process subscriber', async () => {
    const received: string[] = [];
    const sub = h.host.transport.subscribe('kmsgrid.events.countgroup.>', (msg) => void received.push(msg.subject));
    try {
      const m = machines('Windows 7 Enterprise', 1, 'traced-event')[0] as Machine;
      const { trace } = await traceOf(m);
      const deadline = Date.now() + 5_000;
      let publish: ReadableSpan | undefined;
      let consume: ReadableSpan | undefined;
      while ((publish === undefined || consume === undefined) && Date.now() < deadline) {
        await telemetry.forceFlush();
        const spans = exporter.getFinishedSpans().filter((s) => traceId(s) === traceId(trace[0] as ReadableSpan));
        publish = spans.find((s) => s.name === 'publish kmsgrid.events.countgroup.ClientCounted');
        consume = spans.find((s) => s.name === 'process kmsgrid.events.countgroup.ClientCounted');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(publish).toBeDefined();
      expect(consume && parentId(consume)).toBe(publish && spanId(publish));
      expect(received).toContain('kmsgrid.events.countgroup.ClientCounted');
    } finally {
      sub.unsubscribe();
    }
  }, 60_000);
});
