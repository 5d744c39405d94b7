import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { connect } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LEDGER_QUERY_SUBJECTS,
  SUBJECTS,
  ledgerClientsReplyCodec,
  ledgerClientsRequestCodec,
  ledgerRecordReplyCodec,
  ledgerRecordRequestCodec,
  ledgerStatusReplyCodec,
  ledgerStatusRequestCodec,
  type LedgerRecordRequest,
} from '@kmsgrid/contracts';
import { APPLICATIONS, countGroupStreamId } from '@kmsgrid/ledger-domain';
import { SPAN, getTracer, startTelemetry, type TelemetryHandle } from '@kmsgrid/telemetry';
import { RemoteHandlerError, createNatsTransport, createRpcClient, defineRpc, type Transport } from '@kmsgrid/transport';
import { LEDGER_ATTR } from './ledger-service.js';
import { serveLedger, type LedgerServing } from './serve-ledger.js';
import { LedgerTestEnv, realPostgres } from './testing/backends.js';
import { guid, recordRequest } from './testing/fixtures.js';

// serveLedger over real NATS (127.0.0.1:4222 or NATS_URL) and real Postgres.

const servers = process.env['NATS_URL'] ?? '127.0.0.1:4222';
const recordRpc = defineRpc({ subject: SUBJECTS.ledgerRecord, request: ledgerRecordRequestCodec, reply: ledgerRecordReplyCodec });
const statusRpc = defineRpc({ subject: LEDGER_QUERY_SUBJECTS.status, request: ledgerStatusRequestCodec, reply: ledgerStatusReplyCodec });
const clientsRpc = defineRpc({ subject: LEDGER_QUERY_SUBJECTS.clients, request: ledgerClientsRequestCodec, reply: ledgerClientsReplyCodec });

const exporter = new InMemorySpanExporter();
let telemetry: TelemetryHandle;
let env: LedgerTestEnv;
const transports: Transport[] = [];
const servings: LedgerServing[] = [];

async function natsTransport(name: string): Promise<Transport> {
  const t = createNatsTransport(await connect({ servers, name }));
  transports.push(t);
  return t;
}

beforeAll(async () => {
  // This test file is the composition root: it starts the SDK to observe spans.
  telemetry = startTelemetry({ serviceName: 'ledger-service-int', exporter, env: {} });
  env = await LedgerTestEnv.open(await realPostgres());
});
afterEach(async () => {
  for (const s of servings.splice(0)) await s.stop();
  await env.stopServices();
});
afterAll(async () => {
  for (const t of transports) await t.close().catch(() => undefined);
  await env?.close();
  await telemetry?.shutdown();
});

describe('serveLedger over NATS', () => {
  it('answers record, status and clients; only the leader joins the record queue; the standby takes over', async () => {
    const { store } = await env.freshSchema();
    const a = env.service(store);
    const b = env.service(store);
    const [transportA, transportB] = [await natsTransport('ledger-a'), await natsTransport('ledger-b')];
    const servingA = serveLedger(transportA, a);
    const servingB = serveLedger(transportB, b);
    servings.push(servingA, servingB);
    await a.start();
    const bStarted = b.start();
    expect([servingA.servesRecord(), servingB.servesRecord()]).toEqual([true, false]);
    // The record subscription is sent when leadership comes; a PING round trip makes sure
    // NATS has it before another connection's first request (else: no responders).
    await transportA.flush();

    const client = createRpcClient(await natsTransport('ledger-caller'), { defaultTimeoutMs: 5000 });
    for (let i = 0; i < 5; i++) expect(await client.call(recordRpc, recordRequest({ cmid: guid(i) }))).toEqual({ count: i + 1, newClient: true });
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call(recordRpc, recordRequest({ cmid: guid(100 + i) }))));
    expect(replies.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => Math.min(6 + i, 50)));

    // Queries are answered by either replica (their own queue group).
    for (let i = 0; i < 4; i++) {
      const status = await client.call(statusRpc, {});
      expect(status.applications[0]).toMatchObject({ applicationId: APPLICATIONS.windows, name: 'Windows', activeClients: 55, reportedCount: 50, requests: { total: 55 } });
    }
    const page = await client.call(clientsRpc, { limit: 10 });
    expect(page.clients).toHaveLength(10);
    expect(page.nextCursor).toBeDefined();
    const next = await client.call(clientsRpc, { limit: 50, cursor: page.nextCursor as string });
    expect(next.clients).toHaveLength(45);

    await a.stop();
    await bStarted;
    expect([servingA.servesRecord(), servingB.servesRecord()]).toEqual([false, true]);
    await transportB.flush();
    expect(await client.call(recordRpc, recordRequest({ cmid: guid(0) }))).toEqual({ count: 50, newClient: false });
    expect((await client.call(statusRpc, {})).applications[0]?.requests.total).toBe(56);
  });

  it('answers failures with catalogued service errors', async () => {
    const { store } = await env.freshSchema();
    const ledger = env.service(store);
    servings.push(serveLedger(await natsTransport('ledger-errors'), ledger));
    await ledger.start();
    const transport = await natsTransport('ledger-errors-caller');
    const raw = (subject: string, body: unknown) => transport.request(subject, new TextEncoder().encode(JSON.stringify(body)), { timeoutMs: 5000 });

    const bad = await raw(SUBJECTS.ledgerRecord, { origin: {} }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RemoteHandlerError);
    expect(bad).toMatchObject({ code: 400, kind: 'KMSG_ERR_LEDGER_BAD_REQUEST' });
    const countWithoutBody: LedgerRecordRequest = recordRequest({ cmid: guid(1), noBody: true });
    await expect(raw(SUBJECTS.ledgerRecord, countWithoutBody)).rejects.toMatchObject({ code: 400, kind: 'KMSG_ERR_LEDGER_COUNT_WITHOUT_REQUEST' });
    await expect(raw(LEDGER_QUERY_SUBJECTS.clients, { cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: 400, kind: 'KMSG_ERR_LEDGER_BAD_CURSOR' });
    await expect(raw(LEDGER_QUERY_SUBJECTS.clients, { limit: 501 })).rejects.toMatchObject({ code: 400, kind: 'KMSG_ERR_LEDGER_BAD_REQUEST' });
  });

  it('record spans are children of the transport spans; one batch span links them and the events carry their trace', async () => {
    const { store } = await env.freshSchema();
    const ledger = env.service(store);
    servings.push(serveLedger(await natsTransport('ledger-traced'), ledger));
    await ledger.start();
    const client = createRpcClient(await natsTransport('ledger-traced-caller'));
    exporter.reset();
    const tracer = getTracer('ledger-service-test');
    const root = tracer.startSpan('activation', { kind: SpanKind.INTERNAL });
    await context.with(trace.setSpan(context.active(), root), () =>
      Promise.all(Array.from({ length: 20 }, (_, i) => client.call(recordRpc, recordRequest({ cmid: guid(i) })))),
    );
    root.end();
    const traceId = root.spanContext().traceId;
    const spans = exporter.getFinishedSpans();
    const records = spans.filter((s) => s.name === SPAN.ledgerRecord);
    expect(records).toHaveLength(20);
    const servers = new Map(spans.filter((s) => s.name === `process ${SUBJECTS.ledgerRecord}`).map((s) => [s.spanContext().spanId, s]));
    for (const r of records) {
      expect(r.spanContext().traceId).toBe(traceId);
      expect(servers.has(r.parentSpanContext?.spanId ?? '')).toBe(true);
    }
    const batches = spans.filter((s) => s.name === SPAN.eventAppend);
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.reduce((n, b) => n + Number(b.attributes[LEDGER_ATTR.batchSize]), 0)).toBe(20);
    const linked = new Set(batches.flatMap((b) => b.links.map((l) => l.context.spanId)));
    for (const r of records) expect(linked.has(r.spanContext().spanId)).toBe(true);
    for (const r of records) expect(r.links.map((l) => l.context.traceId)).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);

    const { events } = await store.readStream(countGroupStreamId(APPLICATIONS.windows));
    expect(events).toHaveLength(20);
    const recordSpanIds = new Set(records.map((r) => r.spanContext().spanId));
    for (const e of events) {
      expect(e.metadata.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(recordSpanIds.has((e.metadata.traceparent as string).split('-')[2] as string)).toBe(true);
      expect(e.metadata.correlationId).toBeDefined();
      expect(e.metadata.causationId).toBe((e.data as { origin: { requestId: string } }).origin.requestId);
    }
  });
});
