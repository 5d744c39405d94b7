import type { AnyKysely } from './any-db.js';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { ConcurrencyError, EventStoreError, type ExpectedVersion } from './errors.js';
import { assertExpectedVersion, assertStreamId, normalizeNewEvents, type NewEvent, type RecordedEvent } from './events.js';
import { advisoryLockKeys } from './locks.js';
import { eventRowToRecorded } from './mappers.js';
import { assertSchemaName, DEFAULT_SCHEMA } from './schema/migrate.js';
import type { EventStoreTables, EventsTable } from './schema/tables.js';

/** Options of {@link createEventStore}. */
export type EventStoreOptions = Readonly<{
  /** Postgres schema of the tables (default `kmsgrid`); must have been migrated with `migrateToLatest`. */
  schema?: string;
  /** Event id generator for events appended without one (default: UUID v4). */
  newEventId?: () => string;
}>;

/** What an append wrote. */
export type AppendResult = Readonly<{
  streamId: string;
  /** The stream's version after the append: pass it as the next expected version. */
  version: number;
  firstPosition: bigint;
  lastPosition: bigint;
  events: readonly RecordedEvent[];
}>;

/** A stream read. `version` is 0 and `exists` false for a stream never appended to. */
export type ReadStreamResult = Readonly<{
  streamId: string;
  version: number;
  exists: boolean;
  events: readonly RecordedEvent[];
}>;

/** A page of the global order. Pass `nextPosition` as the next `fromPosition`. */
export type ReadAllPage = Readonly<{ events: readonly RecordedEvent[]; nextPosition: bigint }>;

/** Options of a stream read: versions are inclusive, 1-based. */
export type ReadStreamOptions = Readonly<{ fromVersion?: number; toVersion?: number; trx?: AnyKysely }>;
/** Options of a global read: `fromPosition` inclusive (default 1), `limit` default 1000. */
export type ReadAllOptions = Readonly<{ fromPosition?: bigint; limit?: number; trx?: AnyKysely }>;

/** The store as seen inside {@link EventStore.transaction}: appends and reads share `db`, the open transaction. */
export interface EventStoreTransaction<DB> {
  /** The open transaction; write projection rows through it so they commit with the events. */
  readonly db: Transaction<DB>;
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[]): Promise<AppendResult>;
  readStream(streamId: string, opts?: Omit<ReadStreamOptions, 'trx'>): Promise<ReadStreamResult>;
}

/** An append-only event store over kysely + pg. Create it with {@link createEventStore}. */
export interface EventStore<DB = unknown> {
  readonly db: Kysely<DB>;
  readonly schema: string;
  /**
   * Appends `events` to `streamId` if it is at `expectedVersion` (`'no_stream'`:
   * must not exist; `'any'`: no check), writing events and outbox rows in one
   * transaction (`trx` if given, else a new one). Throws {@link ConcurrencyError}
   * on a version conflict and {@link EventStoreError} otherwise.
   *
   * @example const { version } = await store.append('cmid-ledger:windows', 0, [{ type: 'ClientCounted', data }]);
   */
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], opts?: { trx?: AnyKysely }): Promise<AppendResult>;
  /**
   * Runs `fn` in one transaction holding the store's append lock: any number of
   * appends (to any streams) and the caller's own writes on `tx.db` commit or
   * roll back together. Errors thrown by `fn` propagate unchanged.
   *
   * @example await store.transaction(async (tx) => { await tx.append(a, 3, evA); await tx.append(b, 'any', evB); await writeView(tx.db); });
   */
  transaction<T>(fn: (tx: EventStoreTransaction<DB>) => Promise<T>): Promise<T>;
  /** Reads one stream in version order. */
  readStream(streamId: string, opts?: ReadStreamOptions): Promise<ReadStreamResult>;
  /** Reads one page of all events in global order. */
  readAll(opts?: ReadAllOptions): Promise<ReadAllPage>;
  /** Iterates all events in global order from `fromPosition`, reading `batchSize` at a time. */
  streamAll(opts?: Readonly<{ fromPosition?: bigint; batchSize?: number }>): AsyncIterable<RecordedEvent>;
  /** Folds a stream with an `evolve` function (decider style). */
  aggregateStream<S>(streamId: string, opts: Readonly<{ evolve: (state: S, event: RecordedEvent) => S; initialState: () => S; trx?: AnyKysely }>): Promise<{ state: S; version: number; exists: boolean }>;
  /** Highest committed global position (0n when empty). */
  headPosition(opts?: { trx?: AnyKysely }): Promise<bigint>;
  /** Calls `listener` after each commit made through this store object (wakes relays and projections in-process); returns an unsubscribe function. */
  onCommitted(listener: () => void): () => void;
}

type PgError = { code?: string; constraint?: string };
const pgError = (e: unknown): PgError => (e !== null && typeof e === 'object' ? (e as PgError) : {});

function storageError(what: string, cause: unknown): EventStoreError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new EventStoreError('ES_STORAGE', `${what}: ${msg}`, { cause });
}

/**
 * Creates an event store over `db` (tables in `opts.schema`, default `kmsgrid`).
 * Appends from all transactions are serialized by a Postgres advisory lock so
 * global positions become visible strictly in order: a reader that has seen
 * position p will never later see a smaller one (projections and the relay
 * rely on this).
 *
 * @example
 * await migrateToLatest(db);
 * const store = createEventStore(db);
 */
export function createEventStore<DB = unknown>(db: Kysely<DB>, opts: EventStoreOptions = {}): EventStore<DB> {
  const schema = opts.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const newEventId = opts.newEventId ?? randomUUID;
  const lockKey = advisoryLockKeys(schema).append;
  const locked = new WeakSet<object>();
  const listeners = new Set<() => void>();
  const es = (k: AnyKysely): Kysely<EventStoreTables> => (k as Kysely<EventStoreTables>).withSchema(schema);
  const root = db as AnyKysely;

  const notify = (): void => {
    for (const l of listeners) {
      try {
        l();
      } catch {
        // a listener's failure must not fail a committed append
      }
    }
  };

  async function takeAppendLock(trx: AnyKysely): Promise<void> {
    if (locked.has(trx)) return;
    await sql`select pg_advisory_xact_lock(${lockKey[0]}::int4, ${lockKey[1]}::int4)`.execute(trx);
    locked.add(trx);
  }

  async function currentVersion(trx: AnyKysely, streamId: string): Promise<number> {
    const row = await es(trx).selectFrom('streams').select('version').where('stream_id', '=', streamId).executeTakeFirst();
    return row?.version ?? 0;
  }

  type PreparedAppend = Readonly<{ streamId: string; expected: ExpectedVersion; events: ReturnType<typeof normalizeNewEvents> }>;

  // Validation runs before any transaction is opened.
  function prepare(streamId: string, expected: ExpectedVersion, input: readonly NewEvent[]): PreparedAppend {
    assertStreamId(streamId);
    assertExpectedVersion(expected);
    return { streamId, expected, events: normalizeNewEvents(input, newEventId) };
  }

  async function appendIn(trx: AnyKysely, { streamId, expected, events }: PreparedAppend): Promise<AppendResult> {
    const n = events.length;
    try {
      await takeAppendLock(trx);
      // One statement (a round trip per statement dominated the group commit): the
      // stream row's version check, the events and their outbox rows. When the
      // version check matches no row, no event is inserted and no row returns.
      const streams = sql.table(`${schema}.streams`);
      const stream =
        expected === 'any'
          ? sql`insert into ${streams} (stream_id, version) values (${streamId}, ${n}) on conflict (stream_id) do update set version = ${streams}.version + ${n}, updated_at = now() returning version`
          : expected === 'no_stream' || expected === 0
            ? sql`insert into ${streams} (stream_id, version) values (${streamId}, ${n}) on conflict (stream_id) do nothing returning version`
            : sql`update ${streams} set version = ${expected + n}, updated_at = now() where stream_id = ${streamId} and version = ${expected} returning version`;
      const input = JSON.stringify(events.map((e) => ({ id: e.eventId, type: e.type, data: e.data, metadata: e.metadata })));
      const { rows } = await sql<Selectable<EventsTable>>`
        with s as (${stream}),
        e as (
          insert into ${sql.table(`${schema}.events`)} (event_id, stream_id, stream_version, type, data, metadata)
          select (x.v->>'id')::uuid, ${streamId}, (s.version - ${n}::int + x.ord)::int, x.v->>'type', x.v->'data', x.v->'metadata'
          from s, jsonb_array_elements(${input}::jsonb) with ordinality as x(v, ord)
          order by x.ord
          returning *
        ),
        o as (insert into ${sql.table(`${schema}.outbox`)} (global_position, event_id) select global_position, event_id from e)
        select * from e`.execute(trx);
      if (rows.length === 0) throw new ConcurrencyError(streamId, expected, await currentVersion(trx, streamId));
      const recorded = rows.map(eventRowToRecorded).sort((a, b) => a.streamVersion - b.streamVersion);
      const version = recorded[n - 1]!.streamVersion;
      return { streamId, version, firstPosition: recorded[0]!.globalPosition, lastPosition: recorded[n - 1]!.globalPosition, events: recorded };
    } catch (e) {
      if (e instanceof EventStoreError) throw e;
      const pe = pgError(e);
      if (pe.code === '23505' && pe.constraint === 'events_event_id_uq') throw new EventStoreError('ES_DUPLICATE_EVENT_ID', `an event of this append (stream ${streamId}) is already stored`, { cause: e });
      if (pe.code === '23505' && (pe.constraint === 'events_stream_version_uq' || pe.constraint === 'streams_pkey')) throw new ConcurrencyError(streamId, expected, undefined, { cause: e });
      throw storageError(`append to ${streamId}`, e);
    }
  }

  async function inTransaction<T>(fn: (trx: Transaction<unknown>) => Promise<T>): Promise<T> {
    let fnFailed = false;
    let result: T;
    try {
      result = await root.transaction().execute(async (trx) => {
        try {
          return await fn(trx);
        } catch (e) {
          fnFailed = true;
          throw e;
        }
      });
    } catch (e) {
      if (fnFailed || e instanceof EventStoreError) throw e;
      throw storageError('transaction', e);
    }
    notify();
    return result;
  }

  async function readStreamIn(k: AnyKysely, streamId: string, o: ReadStreamOptions): Promise<ReadStreamResult> {
    assertStreamId(streamId);
    const from = o.fromVersion ?? 1;
    const to = o.toVersion ?? 0x7fffffff;
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new EventStoreError('ES_INVALID_ARGUMENT', 'fromVersion/toVersion must be integers');
    try {
      const s = es(k);
      const version = await currentVersion(k, streamId);
      const rows = version === 0 ? [] : await s.selectFrom('events').selectAll().where('stream_id', '=', streamId).where('stream_version', '>=', from).where('stream_version', '<=', to).orderBy('stream_version').execute();
      return { streamId, version, exists: version > 0, events: rows.map(eventRowToRecorded) };
    } catch (e) {
      throw storageError(`read stream ${streamId}`, e);
    }
  }

  async function readAllIn(k: AnyKysely, o: ReadAllOptions): Promise<ReadAllPage> {
    const from = o.fromPosition ?? 1n;
    const limit = o.limit ?? 1000;
    if (typeof from !== 'bigint' || from < 0n) throw new EventStoreError('ES_INVALID_ARGUMENT', 'fromPosition must be a bigint >= 0');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100_000) throw new EventStoreError('ES_INVALID_ARGUMENT', 'limit must be an integer in 1..100000');
    let rows;
    try {
      rows = await es(k).selectFrom('events').selectAll().where('global_position', '>=', from.toString() as never).orderBy('global_position').limit(limit).execute();
    } catch (e) {
      throw storageError('read all', e);
    }
    const events = rows.map(eventRowToRecorded);
    const last = events[events.length - 1];
    return { events, nextPosition: last ? last.globalPosition + 1n : from };
  }

  const store: EventStore<DB> = {
    db,
    schema,
    async append(streamId, expectedVersion, events, o = {}) {
      const p = prepare(streamId, expectedVersion, events);
      if (o.trx?.isTransaction) return appendIn(o.trx, p);
      if (o.trx) throw new EventStoreError('ES_INVALID_ARGUMENT', 'append: trx must be a kysely Transaction');
      return inTransaction((trx) => appendIn(trx, p));
    },
    transaction(fn) {
      return inTransaction(async (trx) => {
        // Taken up front so appends and the caller's writes lock in one order (no deadlocks).
        await takeAppendLock(trx);
        const tx: EventStoreTransaction<DB> = {
          db: trx as Transaction<DB>,
          append: async (streamId, expectedVersion, events) => appendIn(trx, prepare(streamId, expectedVersion, events)),
          readStream: (streamId, o = {}) => readStreamIn(trx, streamId, o),
        };
        return fn(tx);
      });
    },
    readStream: (streamId, o = {}) => readStreamIn(o.trx ?? root, streamId, o),
    readAll: (o = {}) => readAllIn(o.trx ?? root, o),
    async *streamAll(o = {}) {
      let from = o.fromPosition ?? 1n;
      for (;;) {
        const page = await readAllIn(root, { fromPosition: from, limit: o.batchSize ?? 500 });
        yield* page.events;
        if (page.events.length === 0) return;
        from = page.nextPosition;
      }
    },
    async aggregateStream(streamId, o) {
      const r = await readStreamIn(o.trx ?? root, streamId, {});
      return { state: r.events.reduce(o.evolve, o.initialState()), version: r.version, exists: r.exists };
    },
    async headPosition(o = {}) {
      try {
        const row = await es(o.trx ?? root).selectFrom('events').select((eb) => eb.fn.max('global_position').as('head')).executeTakeFirst();
        return row?.head ? BigInt(row.head) : 0n;
      } catch (e) {
        throw storageError('head position', e);
      }
    },
    onCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
