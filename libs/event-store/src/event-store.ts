import type { AnyKysely } from './any-db.js';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { ConcurrencyError, EventStoreError, type ExpectedVersion } from './errors.js';
import { assertExpectedVersion, assertStreamId, normalizeNewEvents, type NewEvent, type RecordedEvent } from './events.js';
import { advisoryLockKeys } from './locks.js';
import { eventRowToRecorded } from './mappers.js';
import { PREPARED } from './postgres.js';
import { APPEND_CONFLICT_SQLSTATE } from './schema/migrations/20261128-0200-append-events-function.js';
import { assertSchemaName, DEFAULT_SCHEMA } from './schema/migrate.js';
import type { EventStoreTables } from './schema/tables.js';

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

/** One stream's part of {@link EventStore.appendBatch}. */
export type StreamAppend = Readonly<{ streamId: string; expectedVersion: ExpectedVersion; events: readonly NewEvent[] }>;

/** Options of {@link EventStore.appendBatch}. */
export type AppendBatchOptions = Readonly<{
  /** Run inside this open transaction instead of as one autocommit statement. */
  trx?: AnyKysely;
  /**
   * Data-modifying statements (INSERT/UPDATE/DELETE, such as projection
   * upserts) run as CTEs of the append's own statement: they commit with the
   * events or not at all, in the same round trip. They must not read the
   * events just appended (one snapshot for the whole statement). With them,
   * a version conflict raises inside Postgres, which also aborts `trx`.
   */
  alongside?: readonly RawBuilder<unknown>[];
}>;

/** The store as seen inside {@link EventStore.transaction}: appends and reads share `db`, the open transaction. */
export interface EventStoreTransaction<DB> {
  /** The open transaction; write projection rows through it so they commit with the events. */
  readonly db: Transaction<DB>;
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[]): Promise<AppendResult>;
  /** {@link EventStore.appendBatch} inside this transaction. */
  appendBatch(appends: readonly StreamAppend[], opts?: Omit<AppendBatchOptions, 'trx'>): Promise<AppendResult[]>;
  readStream(streamId: string, opts?: Omit<ReadStreamOptions, 'trx'>): Promise<ReadStreamResult>;
}

/** An append-only event store over kysely + pg. Create it with {@link createEventStore}. */
export interface EventStore<DB = unknown> {
  readonly db: Kysely<DB>;
  readonly schema: string;
  /**
   * Appends `events` to `streamId` if it is at `expectedVersion` (`'no_stream'`:
   * must not exist; `'any'`: no check), writing the events and the stream
   * version in one statement (inside `trx` if given). Throws {@link ConcurrencyError}
   * on a version conflict and {@link EventStoreError} otherwise.
   *
   * @example const { version } = await store.append('cmid-ledger:windows', 0, [{ type: 'ClientCounted', data }]);
   */
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], opts?: { trx?: AnyKysely }): Promise<AppendResult>;
  /**
   * Appends to several streams at once, each at its expected version, in one
   * SQL statement (with `alongside` statements, one round trip for a whole
   * group commit). All or nothing: a conflict on any stream throws
   * {@link ConcurrencyError} and stores nothing. Results are in `appends` order.
   *
   * @example await store.appendBatch([{ streamId: 'countgroup:a', expectedVersion: 4, events }], { alongside: [upsertView] });
   */
  appendBatch(appends: readonly StreamAppend[], opts?: AppendBatchOptions): Promise<AppendResult[]>;
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
  /**
   * Calls `listener` after each commit made through this store object, with
   * the events it stored in global order (wakes relays and projections
   * in-process; the relay publishes them without reading them back). Returns
   * an unsubscribe function.
   */
  onCommitted(listener: CommitListener): () => void;
}

/** Called after a commit with the events it stored, in global order (possibly none). */
export type CommitListener = (events: readonly RecordedEvent[]) => void;

/** The append statement runs prepared (parsed and planned once per connection) on a pg pool. */
const preparedStatement = sql.raw(PREPARED);

type PgError = { code?: string; constraint?: string };
const pgError = (e: unknown): PgError => (e !== null && typeof e === 'object' ? (e as PgError) : {});

function storageError(what: string, cause: unknown): EventStoreError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new EventStoreError('ES_STORAGE', `${what}: ${msg}`, { cause });
}

/** A row of `append_events`: an appended event, or (position null) the stream that conflicted. */
type AppendedRow = Readonly<{ o_stream: string; o_version: number; o_position: string | null; o_event_id: string | null; o_recorded_at: Date | null }>;
type PgDetail = PgError & { detail?: string; hint?: string };

/** Maps a failed `append_events` call to the store's typed errors. */
function appendError(e: unknown, prepared: readonly Readonly<{ streamId: string; expected: ExpectedVersion }>[]): EventStoreError {
  const pe = pgError(e) as PgDetail;
  const streams = prepared.map((p) => p.streamId).join(', ');
  if (pe.code === APPEND_CONFLICT_SQLSTATE) {
    const p = prepared.find((x) => x.streamId === pe.hint) ?? prepared[0];
    const actual = Number(pe.detail);
    return new ConcurrencyError(p?.streamId ?? streams, p?.expected ?? 'any', Number.isSafeInteger(actual) ? actual : undefined, { cause: e });
  }
  if (pe.code === '23505' && pe.constraint === 'events_event_id_uq') return new EventStoreError('ES_DUPLICATE_EVENT_ID', `an event of this append (${streams}) is already stored`, { cause: e });
  if (pe.code === '23505' && (pe.constraint === 'events_stream_version_uq' || pe.constraint === 'streams_pkey')) {
    const p = prepared[0];
    return new ConcurrencyError(prepared.length === 1 && p ? p.streamId : streams, prepared.length === 1 && p ? p.expected : 'any', undefined, { cause: e });
  }
  if (e instanceof EventStoreError) return e;
  return storageError(`append to ${streams}`, e);
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
  const appendFn = sql.raw(`${schema}.append_events`);
  const locked = new WeakSet<object>();
  const listeners = new Set<CommitListener>();
  const es = (k: AnyKysely): Kysely<EventStoreTables> => (k as Kysely<EventStoreTables>).withSchema(schema);
  const root = db as AnyKysely;

  const notify = (events: readonly RecordedEvent[]): void => {
    for (const l of listeners) {
      try {
        l(events);
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

  /**
   * Appends through `<schema>.append_events` (migration 20261128_0200): the
   * lock, every stream's version check and the events in
   * ONE statement, plus the caller's `alongside` statements as CTEs of it. In
   * the group commit each round trip cost more than its SQL; outside a
   * transaction this is one autocommit statement, atomic as a whole.
   */
  async function appendBatchIn(k: AnyKysely, prepared: readonly PreparedAppend[], alongside: readonly RawBuilder<unknown>[]): Promise<AppendResult[]> {
    const payload = JSON.stringify(
      prepared.map((p) => ({
        stream: p.streamId,
        expected: String(p.expected),
        events: p.events.map((e) => ({ id: e.eventId, type: e.type, data: e.data, metadata: e.metadata })),
      })),
    );
    const extra = alongside.map((q, i) => sql`, ${sql.id(`alongside_${i}`)} as (${q})`);
    let rows: readonly AppendedRow[];
    try {
      ({ rows } = await sql<AppendedRow>`${preparedStatement}with appended as (select * from ${appendFn}(${lockKey[0]}::int4, ${lockKey[1]}::int4, ${payload}::jsonb, ${alongside.length > 0}))${sql.join(extra, sql``)}
        select o_stream, o_version, o_position, o_event_id, o_recorded_at from appended order by o_position`.execute(k));
    } catch (e) {
      throw appendError(e, prepared);
    }
    const conflict = rows.length === 1 && rows[0]!.o_position === null ? rows[0]! : undefined;
    if (conflict !== undefined) {
      const p = prepared.find((x) => x.streamId === conflict.o_stream) ?? prepared[0]!;
      throw new ConcurrencyError(p.streamId, p.expected, conflict.o_version);
    }
    // Positions rise in the order of the appends (one insert after another under the lock).
    const results: AppendResult[] = [];
    let at = 0;
    for (const p of prepared) {
      const part = rows.slice(at, at + p.events.length);
      at += p.events.length;
      if (part.length !== p.events.length || part.some((r) => r.o_stream !== p.streamId)) {
        throw new EventStoreError('ES_STORAGE', `append to ${p.streamId}: append_events returned ${rows.length} rows for ${at} events`);
      }
      const events: RecordedEvent[] = part.map((r, i) => {
        const e = p.events[i]!;
        return { type: e.type, data: e.data, metadata: e.metadata, eventId: e.eventId, streamId: p.streamId, streamVersion: r.o_version, globalPosition: BigInt(r.o_position!), recordedAt: r.o_recorded_at! };
      });
      const first = events[0]!;
      const last = events[events.length - 1]!;
      results.push({ streamId: p.streamId, version: last.streamVersion, firstPosition: first.globalPosition, lastPosition: last.globalPosition, events });
    }
    return results;
  }

  function prepareAll(appends: readonly StreamAppend[]): PreparedAppend[] {
    if (!Array.isArray(appends) || appends.length === 0) throw new EventStoreError('ES_INVALID_ARGUMENT', 'appendBatch needs at least one stream');
    const prepared = appends.map((a) => prepare(a.streamId, a.expectedVersion, a.events));
    const ids = new Set<string>();
    for (const p of prepared) for (const e of p.events) {
      if (ids.has(e.eventId)) throw new EventStoreError('ES_INVALID_ARGUMENT', `event id ${e.eventId} appears twice in one append`);
      ids.add(e.eventId);
    }
    return prepared;
  }

  async function appendIn(trx: AnyKysely, p: PreparedAppend): Promise<AppendResult> {
    const [result] = await appendBatchIn(trx, [p], []);
    return result!;
  }

  async function inTransaction<T>(fn: (trx: Transaction<unknown>, stored: RecordedEvent[]) => Promise<T>): Promise<T> {
    let fnFailed = false;
    const stored: RecordedEvent[] = [];
    let result: T;
    try {
      result = await root.transaction().execute(async (trx) => {
        try {
          return await fn(trx, stored);
        } catch (e) {
          fnFailed = true;
          throw e;
        }
      });
    } catch (e) {
      if (fnFailed || e instanceof EventStoreError) throw e;
      throw storageError('transaction', e);
    }
    notify(stored);
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
      const [result] = await appendBatchIn(root, [p], []);
      notify(result!.events);
      return result!;
    },
    async appendBatch(appends, o = {}) {
      const prepared = prepareAll(appends);
      if (o.trx?.isTransaction) return appendBatchIn(o.trx, prepared, o.alongside ?? []);
      if (o.trx) throw new EventStoreError('ES_INVALID_ARGUMENT', 'appendBatch: trx must be a kysely Transaction');
      const results = await appendBatchIn(root, prepared, o.alongside ?? []);
      notify(results.length === 1 ? results[0]!.events : results.flatMap((r) => r.events));
      return results;
    },
    transaction(fn) {
      return inTransaction(async (trx, stored) => {
        // Taken up front so appends and the caller's writes lock in one order (no deadlocks).
        await takeAppendLock(trx);
        const tx: EventStoreTransaction<DB> = {
          db: trx as Transaction<DB>,
          append: async (streamId, expectedVersion, events) => {
            const result = await appendIn(trx, prepare(streamId, expectedVersion, events));
            stored.push(...result.events);
            return result;
          },
          appendBatch: async (appends, o = {}) => {
            const results = await appendBatchIn(trx, prepareAll(appends), o.alongside ?? []);
            for (const r of results) stored.push(...r.events);
            return results;
          },
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
