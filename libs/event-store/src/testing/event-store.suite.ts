import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { createJetStreamPublisher, type JetStreamPublisher } from '@kmsgrid/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, EventStoreError } from '../errors.js';
import { decodeEventMessage, EVENT_HEADERS } from '../event-message.js';
import { createEventStore, type EventStore } from '../event-store.js';
import type { NewEvent, RecordedEvent } from '../events.js';
import { createOutboxRelay, ensureEventsStream, type RelayStatus } from '../outbox-relay.js';
import { createProjection, rebuildProjection, type ProjectionDefinition } from '../projection.js';
import { migrateToLatest } from '../schema/migrate.js';
import { throwawaySchema, type DbBackend } from './backends.js';

const NATS_URL = process.env.NATS_URL ?? '127.0.0.1:4222';

/** The caller's own tables in the tests (projection and "ledger view" rows). */
interface TestDb {
  stream_stats: { stream_id: string; events: number; last_type: string; last_position: string };
  views: { k: string; n: number };
}

const ev = (type: string, data: unknown = {}, metadata?: NewEvent['metadata']): NewEvent => ({ type, data, ...(metadata ? { metadata } : {}) });

async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The event-store integration suite, run once per backend (real Postgres and
 * embedded PGlite) by the *.int.test.ts files next to the library.
 */
export function eventStoreSuite(makeBackend: () => Promise<DbBackend>): void {
  let backend: DbBackend;
  let db: Kysely<TestDb>;
  let close: () => Promise<void>;
  const drops: (() => Promise<void>)[] = [];

  /** A store over a fresh schema with the test's own tables in it. */
  async function freshStore(): Promise<EventStore<TestDb>> {
    const { schema, drop } = await throwawaySchema(db as Kysely<unknown>);
    drops.push(drop);
    await db.withSchema(schema).schema.createTable('views').addColumn('k', 'text', (c) => c.primaryKey()).addColumn('n', 'integer', (c) => c.notNull()).execute();
    await db
      .withSchema(schema)
      .schema.createTable('stream_stats')
      .addColumn('stream_id', 'text', (c) => c.primaryKey())
      .addColumn('events', 'integer', (c) => c.notNull())
      .addColumn('last_type', 'text', (c) => c.notNull())
      .addColumn('last_position', 'bigint', (c) => c.notNull())
      .execute();
    return createEventStore(db, { schema });
  }

  beforeAll(async () => {
    backend = await makeBackend();
    ({ db, close } = backend.openDb<TestDb>());
  });

  afterAll(async () => {
    for (const drop of drops) await drop().catch(() => undefined);
    await close?.();
    await backend?.close();
  });

  describe('schema', () => {
    it('migrates idempotently into its own schema', async () => {
      const store = await freshStore();
      expect(await migrateToLatest(db as Kysely<unknown>, { schema: store.schema })).toEqual([]);
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${store.schema} order by table_name`.execute(db);
      expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['checkpoints', 'events', 'streams']));
    });

    it('refuses a malformed schema name', async () => {
      await expect(migrateToLatest(db as Kysely<unknown>, { schema: 'x; drop' })).rejects.toMatchObject({ code: 'ES_INVALID_ARGUMENT' });
      expect(() => createEventStore(db, { schema: 'Bad-Name' })).toThrow(EventStoreError);
    });
  });

  describe('append and read', () => {
    let store: EventStore<TestDb>;
    beforeAll(async () => {
      store = await freshStore();
    });

    it('appends with expected versions and reads the stream back', async () => {
      const id = randomUUID();
      const r1 = await store.append('cart:1', 'no_stream', [ev('Opened', { a: 1 }, { correlationId: 'c-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }), { type: 'Added', data: [1, 2], eventId: id }]);
      expect(r1.version).toBe(2);
      expect(r1.lastPosition - r1.firstPosition).toBe(1n);
      const r2 = await store.append('cart:1', 2, [ev('Added', { sku: 'x' })]);
      expect(r2.version).toBe(3);
      const read = await store.readStream('cart:1');
      expect(read).toMatchObject({ streamId: 'cart:1', version: 3, exists: true });
      expect(read.events.map((e) => [e.type, e.streamVersion])).toEqual([['Opened', 1], ['Added', 2], ['Added', 3]]);
      expect(read.events[0]!.metadata).toEqual({ correlationId: 'c-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      expect(read.events[0]!.data).toEqual({ a: 1 });
      expect(read.events[1]!.data).toEqual([1, 2]);
      expect(read.events[1]!.eventId).toBe(id);
      expect(read.events[0]!.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(read.events[0]!.recordedAt).toBeInstanceOf(Date);
      expect(read.events.map((e) => e.globalPosition)).toEqual([r1.firstPosition, r1.lastPosition, r2.firstPosition]);
      expect((await store.readStream('cart:1', { fromVersion: 2, toVersion: 2 })).events.map((e) => e.streamVersion)).toEqual([2]);
    });

    it('raises ConcurrencyError, and only that, on a version conflict', async () => {
      await store.append('cart:2', 0, [ev('Opened')]);
      const stale = store.append('cart:2', 0, [ev('Opened')]);
      await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(stale).rejects.toMatchObject({ code: 'ES_CONCURRENCY', streamId: 'cart:2', expectedVersion: 0, actualVersion: 1 });
      await expect(store.append('cart:2', 'no_stream', [ev('Opened')])).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append('cart:2', 7, [ev('Added')])).rejects.toMatchObject({ actualVersion: 1 });
      await expect(store.append('cart:none', 3, [ev('Added')])).rejects.toMatchObject({ name: 'ConcurrencyError', actualVersion: 0 });
      expect((await store.append('cart:2', 'any', [ev('Added'), ev('Added')])).version).toBe(3);
      expect((await store.append('cart:new', 'any', [ev('Opened')])).version).toBe(1);
      expect((await store.readStream('cart:2')).events).toHaveLength(3);
    });

    it('reads a missing stream as version 0', async () => {
      expect(await store.readStream('cart:missing')).toEqual({ streamId: 'cart:missing', version: 0, exists: false, events: [] });
    });

    it('refuses malformed input with typed errors', async () => {
      const bad = [
        () => store.append('nocategory', 0, [ev('A')]),
        () => store.append(':x', 0, [ev('A')]),
        () => store.append('a.b:x', 0, [ev('A')]),
        () => store.append('cart:', 0, [ev('A')]),
        () => store.append('cart:3', 0, []),
        () => store.append('cart:3', 0, [ev('Bad.Type')]),
        () => store.append('cart:3', -1, [ev('A')]),
        () => store.append('cart:3', 1.5, [ev('A')]),
        () => store.append('cart:3', 0, [{ type: 'A', data: 1, eventId: 'not-a-uuid' }]),
        () => store.append('cart:3', 0, [{ type: 'A', data: undefined }]),
        () => store.readAll({ limit: 0 }),
      ];
      for (const p of bad) await expect(p()).rejects.toMatchObject({ name: 'EventStoreError', code: 'ES_INVALID_ARGUMENT' });
      expect((await store.readStream('cart:3')).exists).toBe(false);
    });

    it('refuses a duplicate event id', async () => {
      const id = randomUUID();
      await store.append('cart:4', 0, [{ type: 'A', data: 1, eventId: id }]);
      await expect(store.append('cart:5', 0, [{ type: 'A', data: 1, eventId: id }])).rejects.toMatchObject({ code: 'ES_DUPLICATE_EVENT_ID' });
      expect((await store.readStream('cart:5')).exists).toBe(false);
    });

    it('reads everything in global order, by page and by iterator', async () => {
      const head = await store.headPosition();
      const all: RecordedEvent[] = [];
      for await (const e of store.streamAll({ batchSize: 3 })) all.push(e);
      expect(all.length).toBeGreaterThan(5);
      expect(all[all.length - 1]!.globalPosition).toBe(head);
      const positions = all.map((e) => e.globalPosition);
      expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
      const page = await store.readAll({ fromPosition: positions[2]!, limit: 2 });
      expect(page.events.map((e) => e.globalPosition)).toEqual(positions.slice(2, 4));
      expect(page.nextPosition).toBe(positions[3]! + 1n);
      const empty = await store.readAll({ fromPosition: head + 1n });
      expect(empty).toEqual({ events: [], nextPosition: head + 1n });
    });

    // Messages above 64 KiB arrive in several TCP reads: the case that breaks
    // pglite-socket with more than one connection (README, PGlite); and
    // concurrent transactions queue for PgliteDialect's one session.
    it('stores large events appended concurrently with small ones', async () => {
      const big = 'x'.repeat(200_000);
      await Promise.all(Array.from({ length: 6 }, (_, i) => store.append(`big:${i}`, 'no_stream', [ev('Blob', i % 2 ? { i } : { i, big })])));
      for (let i = 0; i < 6; i++) expect((await store.readStream(`big:${i}`)).events[0]!.data).toEqual(i % 2 ? { i } : { i, big });
    });

    it('folds a stream decider-style', async () => {
      await store.append('counter:1', 'no_stream', [ev('Incremented', { by: 2 }), ev('Incremented', { by: 3 })]);
      const r = await store.aggregateStream('counter:1', { initialState: () => 0, evolve: (s: number, e) => s + (e.data as { by: number }).by });
      expect(r).toEqual({ state: 5, version: 2, exists: true });
    });

    it('lets exactly one of many concurrent appenders at one version win', async () => {
      await store.append('race:1', 'no_stream', [ev('Opened')]);
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.append('race:1', 1, [ev('Added', { i })])));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(7);
      for (const l of lost) expect(l.reason).toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream('race:1')).version).toBe(2);
    });

    it('lets exactly one of two concurrent transactions on one stream win', async () => {
      await store.append('race:2', 'no_stream', [ev('Opened')]);
      const attempt = (n: number) =>
        store.transaction(async (tx) => {
          await tx.append(`side:${n}`, 'no_stream', [ev('Touched')]);
          await tx.append('race:2', 1, [ev('Added', { n })]);
        });
      const results = await Promise.allSettled([attempt(1), attempt(2)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(lost.reason).toBeInstanceOf(ConcurrencyError);
      // the loser's other append rolled back with it
      const sides = await Promise.all([store.readStream('side:1'), store.readStream('side:2')]);
      expect(sides.filter((s) => s.exists)).toHaveLength(1);
    });
  });

  describe('transactions', () => {
    let store: EventStore<TestDb>;
    beforeAll(async () => {
      store = await freshStore();
    });
    const views = () => store.db.withSchema(store.schema).selectFrom('views').selectAll().orderBy('k').execute();
    const eventCount = async () => Number((await sql<{ n: string }>`select count(*) as n from ${sql.id(store.schema, 'events')}`.execute(store.db)).rows[0]!.n);

    it('commits several streams and the caller\'s own rows together', async () => {
      const r = await store.transaction(async (tx) => {
        const a = await tx.append('ledger:a', 'no_stream', [ev('Counted', { n: 1 })]);
        const b = await tx.append('ledger:b', 'no_stream', [ev('Counted', { n: 2 }), ev('Counted', { n: 3 })]);
        await tx.db.withSchema(store.schema).insertInto('views').values({ k: 'total', n: 3 }).execute();
        expect((await tx.readStream('ledger:b')).version).toBe(2);
        return [a.version, b.version];
      });
      expect(r).toEqual([1, 2]);
      expect(await views()).toEqual([{ k: 'total', n: 3 }]);
      expect(await eventCount()).toBe(3);
    });

    it('rolls back every append and the caller\'s rows when the caller throws', async () => {
      const boom = new Error('boom');
      await expect(
        store.transaction(async (tx) => {
          await tx.append('ledger:a', 1, [ev('Counted', { n: 4 })]);
          await tx.append('ledger:c', 'no_stream', [ev('Counted', { n: 5 })]);
          await tx.db.withSchema(store.schema).updateTable('views').set({ n: 99 }).where('k', '=', 'total').execute();
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect((await store.readStream('ledger:a')).version).toBe(1);
      expect((await store.readStream('ledger:c')).exists).toBe(false);
      expect(await views()).toEqual([{ k: 'total', n: 3 }]);
      expect(await eventCount()).toBe(3);
    });

    it('rolls back the whole transaction when one append conflicts', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.append('ledger:a', 1, [ev('Counted', { n: 6 })]);
          await tx.db.withSchema(store.schema).insertInto('views').values({ k: 'x', n: 1 }).execute();
          await tx.append('ledger:b', 1, [ev('Counted', { n: 7 })]); // b is at 2
        }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream('ledger:a')).version).toBe(1);
      expect(await views()).toEqual([{ k: 'total', n: 3 }]);
    });

    it('leaves the transaction usable after a caught conflict or invalid append (per-request failures in a batch)', async () => {
      const r = await store.transaction(async (tx) => {
        const conflict = await tx.append('ledger:b', 1, [ev('Counted')]).catch((e: unknown) => e);
        const invalid = await tx.append('ledger:b', 2, [ev('Bad.Type')]).catch((e: unknown) => e);
        const ok = await tx.append('ledger:b', 2, [ev('Counted', { n: 8 })]);
        return { conflict, invalid, ok: ok.version };
      });
      expect(r.conflict).toBeInstanceOf(ConcurrencyError);
      expect(r.invalid).toMatchObject({ code: 'ES_INVALID_ARGUMENT' });
      expect(r.ok).toBe(3);
      expect((await store.readStream('ledger:b')).version).toBe(3);
    });

    it('appends inside a caller-owned kysely transaction', async () => {
      await expect(
        store.db.transaction().execute(async (trx) => {
          await store.append('ledger:d', 'no_stream', [ev('Counted')], { trx });
          await trx.withSchema(store.schema).insertInto('views').values({ k: 'd', n: 1 }).execute();
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect((await store.readStream('ledger:d')).exists).toBe(false);
      await store.db.transaction().execute(async (trx) => {
        await store.append('ledger:d', 'no_stream', [ev('Counted')], { trx });
        await store.append('ledger:e', 'no_stream', [ev('Counted')], { trx });
      });
      expect((await store.readStream('ledger:d')).version).toBe(1);
      expect((await store.readStream('ledger:e')).version).toBe(1);
      await expect(store.append('ledger:f', 0, [ev('A')], { trx: store.db })).rejects.toMatchObject({ code: 'ES_INVALID_ARGUMENT' });
    });
  });

  describe('appendBatch (one statement)', () => {
    let store: EventStore<TestDb>;
    beforeAll(async () => {
      store = await freshStore();
    });
    const viewsTable = () => sql.table(`${store.schema}.views`);
    const upsertView = (k: string, n: number) => sql`insert into ${viewsTable()} (k, n) values (${k}, ${n}) on conflict (k) do update set n = ${viewsTable()}.n + excluded.n`;
    const views = () => store.db.withSchema(store.schema).selectFrom('views').selectAll().orderBy('k').execute();

    it('appends to several streams and runs the alongside statements in one statement', async () => {
      const r = await store.appendBatch(
        [
          { streamId: 'batch:a', expectedVersion: 'no_stream', events: [ev('Counted', { n: 1 }), ev('Counted', { n: 2 })] },
          { streamId: 'batch:b', expectedVersion: 0, events: [ev('Counted', { n: 3 })] },
          { streamId: 'batch:a', expectedVersion: 2, events: [ev('Renewed', { n: 4 })] },
        ],
        { alongside: [upsertView('batch', 4), upsertView('other', 1)] },
      );
      expect(r.map((x) => [x.streamId, x.version, x.events.map((e) => e.streamVersion)])).toEqual([
        ['batch:a', 2, [1, 2]],
        ['batch:b', 1, [1]],
        ['batch:a', 3, [3]],
      ]);
      const positions = r.flatMap((x) => x.events.map((e) => e.globalPosition));
      expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
      expect(r[0]!.events[1]).toMatchObject({ type: 'Counted', data: { n: 2 }, streamId: 'batch:a' });
      const stored = await store.readStream('batch:a');
      expect(stored.events.map((e) => [e.streamVersion, e.type, e.data, e.globalPosition])).toEqual([
        [1, 'Counted', { n: 1 }, positions[0]],
        [2, 'Counted', { n: 2 }, positions[1]],
        [3, 'Renewed', { n: 4 }, positions[3]],
      ]);
      expect(stored.events[0]!.recordedAt).toEqual(r[0]!.events[0]!.recordedAt);
      expect(await views()).toEqual([{ k: 'batch', n: 4 }, { k: 'other', n: 1 }]);
    });

    it('stores nothing, alongside statements included, when any stream conflicts', async () => {
      const before = await store.headPosition();
      const err = await store
        .appendBatch(
          [
            { streamId: 'batch:b', expectedVersion: 1, events: [ev('Counted')] },
            { streamId: 'batch:a', expectedVersion: 2, events: [ev('Counted')] }, // a is at 3
          ],
          { alongside: [upsertView('batch', 100)] },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ streamId: 'batch:a', expectedVersion: 2, actualVersion: 3 });
      expect(await store.headPosition()).toBe(before);
      expect((await store.readStream('batch:b')).version).toBe(1);
      expect(await views()).toEqual([{ k: 'batch', n: 4 }, { k: 'other', n: 1 }]);
    });

    it('reports a conflict without alongside statements and keeps the transaction usable', async () => {
      const r = await store.transaction(async (tx) => {
        const conflict = await tx.appendBatch([{ streamId: 'batch:b', expectedVersion: 5, events: [ev('Counted')] }]).catch((e: unknown) => e);
        const ok = await tx.appendBatch([{ streamId: 'batch:b', expectedVersion: 1, events: [ev('Counted')] }]);
        return { conflict, ok: ok[0]!.version };
      });
      expect(r.conflict).toMatchObject({ streamId: 'batch:b', actualVersion: 1 });
      expect(r.ok).toBe(2);
    });

    it('refuses an empty batch and an event id used twice across streams', async () => {
      await expect(store.appendBatch([])).rejects.toMatchObject({ code: 'ES_INVALID_ARGUMENT' });
      const eventId = randomUUID();
      await expect(
        store.appendBatch([
          { streamId: 'batch:c', expectedVersion: 'any', events: [{ ...ev('Counted'), eventId }] },
          { streamId: 'batch:d', expectedVersion: 'any', events: [{ ...ev('Counted'), eventId }] },
        ]),
      ).rejects.toMatchObject({ code: 'ES_INVALID_ARGUMENT' });
      expect((await store.readStream('batch:c')).exists).toBe(false);
    });
  });

  describe('outbox relay (JetStream)', () => {
    let nc: NatsConnection;
    let jsm: JetStreamManager;
    let js: JetStreamPublisher;
    const streams: string[] = [];

    beforeAll(async () => {
      nc = await connect({ servers: NATS_URL });
      jsm = await nc.jetstreamManager();
      // What the services relay with (a PubAck per event over one reply inbox).
      js = createJetStreamPublisher(nc);
    });
    afterAll(async () => {
      for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
      await nc?.close();
    });

    /** A JetStream stream of its own (unique subject prefix, so tests never overlap KMSGRID_EVENTS). */
    async function testStream(create = true): Promise<{ name: string; prefix: string }> {
      const tag = randomBytes(5).toString('hex');
      const name = `ES_TEST_${tag.toUpperCase()}`;
      const prefix = `estest.${tag}.events`;
      streams.push(name);
      if (create) await ensureEventsStream(jsm, { name, subjects: [`${prefix}.>`], duplicateWindow: 60_000, storage: 'memory' });
      return { name, prefix };
    }

    type Stored = { seq: number; subject: string; msgId: string; headers: Record<string, string>; event: RecordedEvent };
    async function readStreamMessages(name: string): Promise<Stored[]> {
      const info = await jsm.streams.info(name);
      const out: Stored[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(name, { seq });
        const headers: Record<string, string> = {};
        for (const k of m.header.keys()) headers[k] = m.header.get(k);
        out.push({ seq, subject: m.subject, msgId: m.header.get(EVENT_HEADERS.msgId), headers, event: decodeEventMessage(m.data) });
      }
      return out;
    }
    /** Events after the relay's checkpoint. */
    const unpublished = async (store: EventStore<TestDb>) =>
      Number(
        (
          await sql<{ n: string }>`select count(*) as n from ${sql.id(store.schema, 'events')}
            where global_position > coalesce((select position from ${sql.id(store.schema, 'checkpoints')} where name = 'outbox-relay'), 0)`.execute(store.db)
        ).rows[0]!.n,
      );

    async function expectExactlyOnce(store: EventStore<TestDb>, name: string): Promise<Stored[]> {
      const all: RecordedEvent[] = [];
      for await (const e of store.streamAll()) all.push(e);
      const msgs = await readStreamMessages(name);
      expect(msgs.map((m) => m.msgId)).toEqual(all.map((e) => e.eventId));
      expect(msgs.map((m) => m.event)).toEqual(all);
      expect(await unpublished(store)).toBe(0);
      return msgs;
    }

    it('ensures the events stream idempotently', async () => {
      const { name, prefix } = await testStream();
      const info = await ensureEventsStream(jsm, { name, subjects: [`${prefix}.>`], duplicateWindow: 90_000, storage: 'memory' });
      expect(info.config.duplicate_window).toBe(90_000 * 1_000_000);
      expect(info.config.subjects).toEqual([`${prefix}.>`]);
    });

    it('publishes every event once, in order, with subject and headers', async () => {
      const store = await freshStore();
      const { name, prefix } = await testStream();
      await store.append('cmid-ledger:windows', 'no_stream', [ev('ClientCounted', { n: 1 }, { correlationId: 'corr-1', causationId: 'cause-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'k=v' })]);
      await store.transaction(async (tx) => {
        for (let i = 0; i < 7; i++) await tx.append(`dns:zone${i}`, 'no_stream', [ev('RecordPublished', { i }), ev('RecordRefreshed', { i })]);
      });
      const relay = createOutboxRelay({ store, js, subjectPrefix: prefix, batchSize: 4 });
      expect(await relay.flush()).toBe(15);
      const msgs = await expectExactlyOnce(store, name);
      expect(msgs[0]!.subject).toBe(`${prefix}.cmid-ledger.ClientCounted`);
      expect(msgs[0]!.headers).toMatchObject({
        [EVENT_HEADERS.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        [EVENT_HEADERS.tracestate]: 'k=v',
        [EVENT_HEADERS.correlationId]: 'corr-1',
        [EVENT_HEADERS.causationId]: 'cause-1',
        [EVENT_HEADERS.eventType]: 'ClientCounted',
        [EVENT_HEADERS.streamId]: 'cmid-ledger:windows',
        [EVENT_HEADERS.streamVersion]: '1',
      });
      expect(msgs[1]!.subject).toBe(`${prefix}.dns.RecordPublished`);
      expect(await relay.flush()).toBe(0);
    });

    it('stores each event once when killed between publish and mark (Nats-Msg-Id de-duplication)', async () => {
      const store = await freshStore();
      const { name, prefix } = await testStream();
      for (let i = 0; i < 5; i++) await store.append(`ledger:app${i}`, 'no_stream', [ev('ClientCounted', { i }), ev('ClientCounted', { i })]);
      const crash = new Error('killed before mark');
      let seen = 0;
      const crashing = createOutboxRelay({
        store,
        js,
        subjectPrefix: prefix,
        batchSize: 6,
        beforeMark: (batch) => {
          seen += batch.length;
          if (seen > 6) throw crash; // the second batch is published, never marked
        },
      });
      await expect(crashing.flush()).rejects.toBe(crash);
      expect(await unpublished(store)).toBe(4);
      expect((await jsm.streams.info(name)).state.messages).toBe(10);

      const statuses: RelayStatus[] = [];
      const restarted = createOutboxRelay({ store, js, subjectPrefix: prefix, onStateChange: (s) => statuses.push(s) });
      expect(await restarted.flush()).toBe(4);
      expect(restarted.status().duplicatesTotal).toBe(4);
      await expectExactlyOnce(store, name);
    });

    it('relays in the background, woken by appends, and stops gracefully', async () => {
      const store = await freshStore();
      const { name, prefix } = await testStream();
      const relay = createOutboxRelay({ store, js, subjectPrefix: prefix, pollIntervalMs: 60_000 });
      relay.start();
      expect(relay.status().state).toBe('running');
      await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(`bg:${i}`, 'any', [ev('Happened', { i })])));
      await until(async () => (await unpublished(store)) === 0);
      await store.append('bg:last', 'any', [ev('Happened')]);
      await relay.stop();
      expect(relay.status().state).toBe('stopped');
      await expectExactlyOnce(store, name);
    });

    it('publishes commits of another store object (another process) between its own, in global order, each once', async () => {
      const store = await freshStore();
      const other = createEventStore(store.db, { schema: store.schema });
      const { name, prefix } = await testStream();
      const relay = createOutboxRelay({ store, js, subjectPrefix: prefix, pollIntervalMs: 20, coalesceMs: 0 });
      relay.start();
      for (let i = 0; i < 12; i++) {
        // Ours come from the commit listener, the other's only from the log: every other pass meets a gap.
        await (i % 3 === 1 ? other : store).append(`mixed:${i % 4}`, 'any', [ev('Happened', { i }), ev('Happened', { i })]);
        if (i % 5 === 0) await until(async () => (await unpublished(store)) === 0);
      }
      await until(async () => (await unpublished(store)) === 0);
      await relay.stop();
      expect(relay.status().publishedTotal).toBe(24);
      // Its own commits straight from memory, the other's (and the first pass) read from the log.
      expect(relay.status().passesFromMemory).toBeGreaterThan(0);
      expect(relay.status().passesFromLog).toBeGreaterThan(0);
      await expectExactlyOnce(store, name);
    });

    it('passes over events nobody takes (wanted) and moves the checkpoint past them', async () => {
      const store = await freshStore();
      await store.append('wanted:1', 'no_stream', [ev('Kept'), ev('Dropped'), ev('Kept')]);
      const sent: string[] = [];
      const recorder = { publish: async (subject: string) => (sent.push(subject), { stream: 'x', seq: sent.length, duplicate: false, domain: '' }) };
      const relay = createOutboxRelay({ store, js: recorder as never, subjectPrefix: 'p', wanted: (subject) => subject.endsWith('.Kept') });
      expect(await relay.flush()).toBe(3);
      expect(sent).toEqual(['p.wanted.Kept', 'p.wanted.Kept']);
      expect(await unpublished(store)).toBe(0);
    });

    it('survives JetStream being unavailable, backs off, and recovers', async () => {
      const store = await freshStore();
      const { name, prefix } = await testStream(false); // no stream yet: publishes get "no responders"
      await store.append('outage:1', 'no_stream', [ev('Happened'), ev('Happened')]);
      const states: string[] = [];
      const relay = createOutboxRelay({ store, js, subjectPrefix: prefix, publishTimeoutMs: 500, backoff: { initialMs: 20, maxMs: 100 }, onStateChange: (s) => states.push(s.state) });
      relay.start();
      await until(() => relay.status().consecutiveFailures >= 2);
      expect(relay.status()).toMatchObject({ state: 'backing-off', publishedTotal: 0 });
      expect(relay.status().lastError).toBeTruthy();
      await ensureEventsStream(jsm, { name, subjects: [`${prefix}.>`], storage: 'memory' });
      await until(() => relay.status().state === 'running' && relay.status().publishedTotal === 2);
      await relay.stop();
      expect(states).toEqual(['running', 'backing-off', 'running', 'stopped']);
      await expectExactlyOnce(store, name);
    });

    it('backs off on a closed NATS connection without throwing, and stop() resolves', async () => {
      const store = await freshStore();
      await store.append('closed:1', 'no_stream', [ev('Happened')]);
      const nc2 = await connect({ servers: NATS_URL });
      const js2 = createJetStreamPublisher(nc2);
      await nc2.close();
      const relay = createOutboxRelay({ store, js: js2, backoff: { initialMs: 10, maxMs: 50 } });
      relay.start();
      await until(() => relay.status().consecutiveFailures >= 3);
      expect(relay.status().state).toBe('backing-off');
      await relay.stop();
      expect(await unpublished(store)).toBe(1);
    });
  });

  describe('projections', () => {
    const statsProjection = (store: EventStore<TestDb>, name = 'stream-stats'): ProjectionDefinition<TestDb> => ({
      name,
      batchSize: 7,
      handle: async (e: RecordedEvent, trx: Transaction<TestDb>) => {
        await trx
          .withSchema(store.schema)
          .insertInto('stream_stats')
          .values({ stream_id: e.streamId, events: 1, last_type: e.type, last_position: e.globalPosition.toString() })
          .onConflict((oc) => oc.column('stream_id').doUpdateSet((eb) => ({ events: eb('stream_stats.events', '+', 1), last_type: e.type, last_position: e.globalPosition.toString() })))
          .execute();
      },
      reset: async (trx) => {
        await trx.withSchema(store.schema).deleteFrom('stream_stats').execute();
      },
    });
    const snapshot = (store: EventStore<TestDb>) => store.db.withSchema(store.schema).selectFrom('stream_stats').selectAll().orderBy('stream_id').execute();

    it('a projection rebuilt from the store equals the live one', async () => {
      const store = await freshStore();
      const live = createProjection(store, statsProjection(store), { pollIntervalMs: 20 });
      live.start();
      // concurrent writers, some losing races, while the projection runs
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 15; i++) {
            const id = `acct:${i % 5}`;
            const { version } = await store.readStream(id);
            await store.append(id, version, [ev(i % 2 ? 'Debited' : 'Credited', { w, i })]).catch((e) => {
              if (!(e instanceof ConcurrencyError)) throw e;
            });
          }
        }),
      );
      const head = await store.headPosition();
      await until(async () => (await live.checkpoint()) === head);
      await live.stop();
      const liveRows = await snapshot(store);
      const total = (await store.readAll({ limit: 100_000 })).events.length;
      expect(liveRows.reduce((n, r) => n + r.events, 0)).toBe(total);

      expect(await rebuildProjection(store, statsProjection(store))).toBe(total);
      expect(await snapshot(store)).toEqual(liveRows);
      expect(await live.checkpoint()).toBe(head);
      expect(await live.catchUp()).toBe(0);
    });

    it('keeps rows and checkpoint together when a handler fails', async () => {
      const store = await freshStore();
      await store.append('acct:1', 'no_stream', [ev('Credited'), ev('Poison'), ev('Credited')]);
      const def = statsProjection(store, 'fragile');
      const fragile = createProjection(store, {
        ...def,
        handle: async (e, trx) => {
          if (e.type === 'Poison') throw new Error('handler failed');
          await def.handle(e, trx);
        },
      });
      await expect(fragile.catchUp()).rejects.toThrow('handler failed');
      expect(await fragile.checkpoint()).toBe(0n);
      expect(await snapshot(store)).toEqual([]);
      const filtered = createProjection(store, { ...def, eventTypes: ['Credited'] });
      expect(await filtered.catchUp()).toBe(2);
      expect(await filtered.checkpoint()).toBe(await store.headPosition());
      expect((await snapshot(store))[0]).toMatchObject({ stream_id: 'acct:1', events: 2 });
    });
  });
}
