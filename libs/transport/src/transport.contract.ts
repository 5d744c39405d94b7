// The one contract both transports pass (ARCHITECTURE.md, apps/kmsgrid): run
// from in-process.transport.unit.test.ts and nats.transport.int.test.ts. Not
// part of the library build (tsconfig.lib.json excludes it).
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import {
  CORRELATION_ID_HEADER,
  getCorrelationId,
  getTracer,
  startTelemetry,
  withCorrelationId,
  withSpan,
  type TelemetryHandle,
} from '@kmsgrid/telemetry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CodecError,
  InvalidMessageError,
  NoRespondersError,
  RemoteHandlerError,
  ServiceError,
  TransportClosedError,
  TransportTimeoutError,
} from './errors.js';
import { bigintJsonCodec } from './codec.js';
import { createRpcClient, defineRpc, serveRpc } from './rpc.js';
import type { Transport, TransportMessage } from './transport.js';

const text = new TextEncoder();
const untext = new TextDecoder();
const bytes = (s: string) => text.encode(s);
const str = (b: Uint8Array) => untext.decode(b);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(5);
    }
  }
}

/**
 * Registers the transport contract for one implementation. `makeTransport`
 * is called once per simulated process/replica; transports it returns must
 * reach each other (same NATS server, or same in-process bus). Registers the
 * OpenTelemetry SDK (in-memory exporter) for the file it runs in, so call it
 * once per test file.
 */
export function transportContractSuite(name: string, makeTransport: () => Transport | Promise<Transport>): void {
  describe(`transport contract: ${name}`, () => {
    const exporter = new InMemorySpanExporter();
    let telemetry: TelemetryHandle;
    const opened: Transport[] = [];
    const run = `${name.replace(/[^A-Za-z0-9_-]/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
    let seq = 0;
    const subject = (what: string) => `kmsgrid.contract.${run}.${seq++}.${what}`;

    const open = async (): Promise<Transport> => {
      const t = await makeTransport();
      opened.push(t);
      return t;
    };

    beforeAll(() => {
      telemetry = startTelemetry({ serviceName: `transport-contract-${name}`, exporter, env: {} });
    });
    afterAll(() => telemetry.shutdown());
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((t) => t.close().catch(() => undefined)));
      exporter.reset();
    });

    it('answers a request with the reply of the handler', async () => {
      const server = await open();
      const client = await open();
      const s = subject('echo');
      server.serve(s, { queue: 'echo' }, async (msg) => ({ data: bytes(`echo:${str(msg.data)}:${msg.subject}`) }));
      await server.flush();
      const reply = await client.request(s, bytes('hi'), { timeoutMs: 2000 });
      expect(str(reply.data)).toBe(`echo:hi:${s}`);
      const empty = await client.request(s, new Uint8Array(0), { timeoutMs: 2000 });
      expect(str(empty.data)).toBe(`echo::${s}`);
    });

    it('spreads requests over a queue group and handles each exactly once', async () => {
      const s = subject('queue');
      const replicas = await Promise.all([open(), open(), open()]);
      const handledBy = new Map<string, number[]>();
      replicas.forEach((replica, index) =>
        replica.serve(s, { queue: 'workers' }, async (msg) => {
          const id = str(msg.data);
          handledBy.set(id, [...(handledBy.get(id) ?? []), index]);
          await sleep(1);
          return { data: bytes(String(index)) };
        }),
      );
      await Promise.all(replicas.map((r) => r.flush()));
      const client = await open();
      const ids = Array.from({ length: 60 }, (_, i) => `req-${i}`);
      const replies = await Promise.all(ids.map((id) => client.request(s, bytes(id), { timeoutMs: 5000 })));
      await sleep(50); // a duplicate delivery would show up by now
      expect(handledBy.size).toBe(60);
      for (const [id, by] of handledBy) expect(by, id).toHaveLength(1);
      const perReplica = [0, 1, 2].map((i) => replies.filter((r) => str(r.data) === String(i)).length);
      expect(perReplica.reduce((a, b) => a + b)).toBe(60);
      for (const n of perReplica) expect(n).toBeGreaterThan(0);
    });

    it('delivers a publish to every plain subscriber and to one member per queue group', async () => {
      const s = subject('fanout');
      const [a, b, c] = await Promise.all([open(), open(), open()]);
      const got: string[] = [];
      a.subscribe(s, () => void got.push('plain-a'));
      b.subscribe(s, () => void got.push('plain-b'));
      a.subscribe(s, () => void got.push('group'), { queue: 'g' });
      b.subscribe(s, () => void got.push('group'), { queue: 'g' });
      await Promise.all([a.flush(), b.flush()]);
      c.publish(s, bytes('x'));
      await c.flush();
      await eventually(() => expect(got.length).toBeGreaterThanOrEqual(3));
      await sleep(30);
      expect(got.sort()).toEqual(['group', 'plain-a', 'plain-b']);
    });

    it('matches * and > wildcards on subscribe', async () => {
      const base = subject('wild');
      const t = await open();
      const star: string[] = [];
      const tail: string[] = [];
      t.subscribe(`${base}.*.done`, (m) => void star.push(m.subject));
      t.subscribe(`${base}.>`, (m) => void tail.push(m.subject));
      await t.flush();
      t.publish(`${base}.a.done`, bytes('1'));
      t.publish(`${base}.a.b.done`, bytes('2'));
      t.publish(`${base}`, bytes('3'));
      await t.flush();
      await eventually(() => expect(tail).toHaveLength(2));
      await sleep(20);
      expect(star).toEqual([`${base}.a.done`]);
      expect(tail.sort()).toEqual([`${base}.a.b.done`, `${base}.a.done`]);
    });

    it('carries headers both ways and copies them', async () => {
      const server = await open();
      const client = await open();
      const s = subject('headers');
      let seen: TransportMessage | undefined;
      server.serve(s, { queue: 'h' }, async (msg) => {
        seen = msg;
        (msg.headers as Record<string, string>)['x-app'] = 'mutated by server';
        return { data: bytes('ok'), headers: { 'x-reply': 'r1', 'X-Mixed-Case': 'Value With Spaces' } };
      });
      await server.flush();
      const sent = { 'x-app': 'ingress', 'x-empty': '', 'X-Upper': 'A;b=c' };
      const reply = await client.request(s, bytes('h'), { timeoutMs: 2000, headers: sent });
      expect(seen?.headers['x-empty']).toBe('');
      expect(seen?.headers['X-Upper']).toBe('A;b=c');
      expect(sent['x-app']).toBe('ingress');
      expect(reply.headers['x-reply']).toBe('r1');
      expect(reply.headers['X-Mixed-Case']).toBe('Value With Spaces');
      // Every message carries a correlation id (ARCHITECTURE.md, Contracts); the reply echoes it.
      expect(seen?.headers[CORRELATION_ID_HEADER]).toMatch(/.+/);
      expect(reply.headers[CORRELATION_ID_HEADER]).toBe(seen?.headers[CORRELATION_ID_HEADER]);
    });

    it('rejects with TransportTimeoutError when no reply comes in time', async () => {
      const server = await open();
      const client = await open();
      const s = subject('slow');
      server.serve(s, { queue: 'slow' }, async () => {
        await sleep(400);
        return { data: bytes('late') };
      });
      await server.flush();
      const started = Date.now();
      const err = await client.request(s, bytes('x'), { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportTimeoutError);
      expect((err as TransportTimeoutError).subject).toBe(s);
      expect(Date.now() - started).toBeLessThan(380);
    });

    it('rejects with NoRespondersError at once when nobody serves the subject', async () => {
      const client = await open();
      const started = Date.now();
      const err = await client.request(subject('nobody'), bytes('x'), { timeoutMs: 3000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoRespondersError);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('turns a handler error into RemoteHandlerError with its code', async () => {
      const server = await open();
      const client = await open();
      const s = subject('fails');
      server.serve(s, { queue: 'f' }, async (msg) => {
        if (str(msg.data) === 'refuse') {
          throw new ServiceError(403, 'no host key covers\r\nthis product', { kind: 'KMSG_ERR_NOT_LICENSED' });
        }
        throw new RangeError('boom');
      });
      await server.flush();
      const refused = await client.request(s, bytes('refuse'), { timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RemoteHandlerError);
      expect(refused).toMatchObject({ code: 403, kind: 'KMSG_ERR_NOT_LICENSED', description: 'no host key covers this product', subject: s });
      const crashed = await client.request(s, bytes('crash'), { timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(crashed).toBeInstanceOf(RemoteHandlerError);
      expect(crashed).toMatchObject({ code: 500, description: 'RangeError: boom', kind: undefined });
    });

    it('joins both sides of a request into one trace', async () => {
      const server = await open();
      const client = await open();
      const s = subject('traced');
      let inHandler: { traceId: string; spanId: string; correlationId: string | undefined } | undefined;
      server.serve(s, { queue: 't' }, async () => {
        const span = trace.getActiveSpan();
        inHandler = span && { ...span.spanContext(), correlationId: getCorrelationId() };
        return { data: bytes('ok') };
      });
      await server.flush();
      const tracer = getTracer('contract-client');
      const root = await withCorrelationId('corr-contract', () =>
        withSpan(tracer, 'activation', {}, async (span) => {
          await client.request(s, bytes('x'), { timeoutMs: 2000 });
          return span.spanContext();
        }),
      );
      const spans = exporter.getFinishedSpans();
      const find = (kind: SpanKind): ReadableSpan => {
        const found = spans.find((sp) => sp.kind === kind && sp.name.endsWith(s));
        if (found === undefined) throw new Error(`no ${SpanKind[kind]} span for ${s}`);
        return found;
      };
      const clientSpan = find(SpanKind.CLIENT);
      const serverSpan = find(SpanKind.SERVER);
      expect(clientSpan.spanContext().traceId).toBe(root.traceId);
      expect(clientSpan.parentSpanContext?.spanId).toBe(root.spanId);
      expect(serverSpan.spanContext().traceId).toBe(root.traceId);
      expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
      expect(serverSpan.parentSpanContext?.isRemote).toBe(true);
      expect(serverSpan.attributes['messaging.destination.name']).toBe(s);
      expect(serverSpan.attributes['messaging.consumer.group.name']).toBe('t');
      expect(inHandler?.spanId).toBe(serverSpan.spanContext().spanId);
      expect(inHandler?.correlationId).toBe('corr-contract');
      expect(trace.getActiveSpan()).toBeUndefined();
    });

    it('links a published message to the publisher span', async () => {
      const [pub, sub] = await Promise.all([open(), open()]);
      const s = subject('event');
      const seen: string[] = [];
      sub.subscribe(s, () => void seen.push(trace.getActiveSpan()?.spanContext().traceId ?? 'none'));
      await sub.flush();
      const root = await withSpan(getTracer('contract-pub'), 'append', {}, async (span) => {
        pub.publish(s, bytes('e'));
        return span.spanContext();
      });
      await pub.flush();
      await eventually(() => expect(seen).toEqual([root.traceId]));
    });

    it('lets drain() finish handlers already running, then stops serving', async () => {
      const server = await open();
      const client = await open();
      const s = subject('drain');
      const order: string[] = [];
      let started!: () => void;
      const handlerStarted = new Promise<void>((resolve) => (started = resolve));
      server.serve(s, { queue: 'd' }, async () => {
        started();
        await sleep(200);
        order.push('handler done');
        return { data: bytes('finished') };
      });
      await server.flush();
      const pending = client.request(s, bytes('x'), { timeoutMs: 3000 });
      await handlerStarted;
      await server.drain();
      order.push('drained');
      expect(str((await pending).data)).toBe('finished');
      expect(order).toEqual(['handler done', 'drained']);
      await expect(client.request(s, bytes('y'), { timeoutMs: 1000 })).rejects.toBeInstanceOf(NoRespondersError);
      expect(() => server.serve(subject('late'), { queue: 'd' }, async () => ({ data: bytes('') }))).toThrow(TransportClosedError);
    });

    it('lets a draining service finish its own downstream requests', async () => {
      const [policy, ledger, ingress] = await Promise.all([open(), open(), open()]);
      const decide = subject('decide');
      const record = subject('record');
      ledger.serve(record, { queue: 'ledger' }, async () => ({ data: bytes('25') }));
      let started!: () => void;
      const handlerStarted = new Promise<void>((resolve) => (started = resolve));
      policy.serve(decide, { queue: 'policy' }, async () => {
        started();
        await sleep(100);
        const count = await policy.request(record, bytes('cmid'), { timeoutMs: 2000 });
        return { data: bytes(`count=${str(count.data)}`) };
      });
      await Promise.all([policy.flush(), ledger.flush()]);
      const pending = ingress.request(decide, bytes('req'), { timeoutMs: 3000 });
      await handlerStarted;
      await policy.drain();
      expect(str((await pending).data)).toBe('count=25');
    });

    it('rejects bad subjects and headers with InvalidMessageError', async () => {
      const t = await open();
      await expect(t.request('', bytes('x'), { timeoutMs: 100 })).rejects.toBeInstanceOf(InvalidMessageError);
      await expect(t.request('a..b', bytes('x'), { timeoutMs: 100 })).rejects.toBeInstanceOf(InvalidMessageError);
      await expect(t.request('a.*', bytes('x'), { timeoutMs: 100 })).rejects.toBeInstanceOf(InvalidMessageError);
      expect(() => t.publish('a b', bytes('x'))).toThrow(InvalidMessageError);
      expect(() => t.subscribe('a.>.b', () => undefined)).toThrow(InvalidMessageError);
      await expect(
        t.request(subject('h'), bytes('x'), { timeoutMs: 100, headers: { 'bad:name': 'v' } }),
      ).rejects.toBeInstanceOf(InvalidMessageError);
      await expect(
        t.request(subject('h'), bytes('x'), { timeoutMs: 100, headers: { ok: 'line\r\nbreak' } }),
      ).rejects.toBeInstanceOf(InvalidMessageError);
    });

    it('rejects requests on a closed transport with TransportClosedError', async () => {
      const t = await open();
      await t.close();
      await expect(t.request(subject('closed'), bytes('x'), { timeoutMs: 100 })).rejects.toBeInstanceOf(TransportClosedError);
    });

    it('carries typed RPCs with bigint and bytes, and answers undecodable requests with 400', async () => {
      interface Req { readonly cmid: string; readonly filetime: bigint; readonly raw: Uint8Array }
      interface Rep { readonly count: number; readonly echoed: bigint; readonly raw: Uint8Array }
      const rpc = defineRpc<Req, Rep>({ subject: subject('rpc'), timeoutMs: 2000 });
      const strict = defineRpc<{ n: number }, { n: number }>({
        subject: subject('strict'),
        request: bigintJsonCodec({
          parse: (v) => {
            if (typeof v !== 'object' || v === null || typeof (v as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
            return v as { n: number };
          },
        }),
      });
      const server = await open();
      const client = createRpcClient(await open());
      serveRpc(server, rpc, { queue: 'rpc' }, async (req, ctx) => {
        expect(ctx.subject).toBe(rpc.subject);
        return { count: 25, echoed: req.filetime + 1n, raw: req.raw };
      });
      serveRpc(server, strict, { queue: 'rpc' }, async (req) => req);
      await server.flush();
      const filetime = 133_000_000_000_000_000n * 1000n; // beyond 2^53 and 2^64
      const reply = await client.call(rpc, { cmid: 'c', filetime, raw: new Uint8Array([0, 255, 7]) });
      expect(reply).toEqual({ count: 25, echoed: filetime + 1n, raw: new Uint8Array([0, 255, 7]) });
      const bad = await client.call(strict, { n: 'x' } as unknown as { n: number }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(RemoteHandlerError);
      expect(bad).toMatchObject({ code: 400 });
      expect((bad as RemoteHandlerError).description).toContain('n must be a number');
      // A reply the client cannot decode is a CodecError, not a crash.
      const raw = await open();
      const garbled = defineRpc<string, string>({ subject: subject('garbled') });
      raw.serve(garbled.subject, { queue: 'g' }, async () => ({ data: bytes('{not json') }));
      await raw.flush();
      await expect(client.call(garbled, 'x')).rejects.toBeInstanceOf(CodecError);
    });
  });
}
