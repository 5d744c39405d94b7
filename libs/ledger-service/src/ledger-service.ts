import { ROOT_CONTEXT, SpanKind, context, trace, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { Kysely, Transaction } from 'kysely';
import { silentLogger, throttleRepeats, type Logger } from '@kmsgrid/config';
import {
  ledgerRecordRequestCodec,
  type LedgerClientsReply,
  type LedgerClientsRequest,
  type LedgerRecordReply,
  type LedgerRecordRequest,
  type LedgerStatusReply,
} from '@kmsgrid/contracts';
import { commitDurability, migrateToLatest, type EventMetadata, type EventStore, type StreamAppend } from '@kmsgrid/event-store';
import {
  COUNT_GROUP_CATEGORY,
  countGroupStreamId,
  evolve,
  initialState,
  recordActivation,
  toRecordActivationRequest,
  type CountGroupEvent,
  type CountGroupState,
  type RecordActivationRequest,
} from '@kmsgrid/ledger-domain';
import { ATTR, CORRELATION_ID_HEADER, SPAN, TRACEPARENT_HEADER, TRACESTATE_HEADER, getTracer, injectTraceContext, recordError } from '@kmsgrid/telemetry';
import { LedgerServiceError, toLedgerError } from './errors.js';
import { applyToProjections, projectionUpserts, truncateProjections, type StoredCountGroupEvent } from './projection-writer.js';
import { queryClients, queryStatus } from './queries.js';
import { loadCountGroups, toStoredCountGroupEvent } from './restore.js';
import type { LedgerDatabase, LedgerTables } from './schema/ledger-tables.js';
import { migrateLedger } from './schema/migrate.js';
import { createWriterLock, type WriterLock } from './writer-lock.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller's database type is its own; the service binds its tables to the store's schema
type AnyDb = Kysely<any>;

/**
 * Span attributes of the ledger that telemetry's ATTR does not have yet.
 * (They belong in `ATTR`; kept here until libs/telemetry adds them.)
 */
export const LEDGER_ATTR = {
  /** Requests in one group-commit transaction. */
  batchSize: 'kmsgrid.ledger.batch.size',
  /** Events appended by one group-commit transaction. */
  batchEvents: 'kmsgrid.ledger.batch.events',
  /** Whether a record counted a CMID new to the window. */
  newClient: 'kms.client.new',
} as const;

/** Group commit tuning. */
export type LedgerBatchOptions = Readonly<{
  /** Most requests in one transaction (default 500). */
  maxSize?: number;
  /** How long an idle writer waits for more requests before committing the first (default 0: next tick). */
  maxDelayMs?: number;
  /** Requests waiting beyond this are refused with KMSG_ERR_LEDGER_OVERLOADED (default 20000). */
  maxPending?: number;
}>;

/** Writer election tuning. */
export type LedgerLeaderOptions = Readonly<{
  /** How often a standby tries the writer lock (default 1000 ms). */
  retryMs?: number;
  /** How often the leader checks the session holding the lock (default 2000 ms). */
  heartbeatMs?: number;
  /**
   * Database whose pool gives the lock its own session (default `db`, which
   * then keeps one pool connection while leading). Embedded PGlite has a pool
   * of one: pass a second `createPostgresDb` there.
   */
  lockDb?: AnyDb;
}>;

/** Fault injection for tests: runs inside each batch transaction just before it commits. */
export type LedgerTestHooks = Readonly<{
  beforeCommit?: (trx: Transaction<unknown>, batch: Readonly<{ requests: number; events: number }>) => Promise<void>;
}>;

/** Dependencies and options of {@link createLedgerService}. */
export type LedgerServiceOptions = Readonly<{
  /** Queries and (by default) the writer lock. Same database as the store. */
  db: AnyDb;
  /** The event store; its schema also holds the ledger's projection tables. */
  store: EventStore<unknown>;
  /** Recording time of requests (default `() => new Date()`); tests inject one. */
  clock?: () => Date;
  log?: Logger;
  /** Default `getTracer('@kmsgrid/ledger-service')` (a no-op until an app starts the SDK). */
  tracer?: Tracer;
  batch?: LedgerBatchOptions;
  leader?: LedgerLeaderOptions;
  hooks?: LedgerTestHooks;
}>;

/** Counters of the writer since it was created. */
export type LedgerStats = Readonly<{
  /** Committed batch transactions. */
  batches: number;
  /** Requests answered after a commit. */
  recorded: number;
  /** Events appended. */
  events: number;
  failedBatches: number;
  /** Reloads of the in-memory window from Postgres (start and after failures). */
  loads: number;
  /** Requests waiting for a commit now. */
  pending: number;
}>;

/** The cmid-ledger: single writer of the count groups, and the ledger queries. */
export interface LedgerService {
  /**
   * Competes for the writer lock (retrying as a standby), then migrates the
   * schema and restores every count group's window. Resolves once this
   * instance leads, or when `stop()` is called first.
   */
  start(): Promise<void>;
  /**
   * Records one request and answers it once its batch has committed.
   * Rejects with a {@link LedgerServiceError}: NOT_LEADER, STOPPING,
   * OVERLOADED, BAD_REQUEST, COMMIT_FAILED (nothing of the batch was stored).
   */
  record(request: LedgerRecordRequest): Promise<LedgerRecordReply>;
  /** Stops taking requests, commits those already queued, releases the writer lock. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Called with true when this instance becomes the writer and false when it stops being one. */
  onLeadershipChange(listener: (leader: boolean) => void): () => void;
  /** Per application: window count, thresholds and request statistics (any replica, from Postgres). */
  status(): Promise<LedgerStatusReply>;
  /** Clients, newest first, filtered and paged (any replica, from Postgres). */
  listClients(query: LedgerClientsRequest): Promise<LedgerClientsReply>;
  /**
   * Empties the projection tables and replays every count group event into
   * them, in one transaction holding the store's append lock (writers wait;
   * readers see the old or the new tables). Returns the events replayed.
   */
  rebuildProjections(): Promise<number>;
  stats(): LedgerStats;
}

type Pending = {
  readonly command: RecordActivationRequest;
  readonly span: Span;
  /** The request's context with its record span: its events carry this trace. */
  readonly ctx: Context;
  readonly resolve: (reply: LedgerRecordReply) => void;
  readonly reject: (err: LedgerServiceError) => void;
};

type Decided = { readonly item: Pending; readonly events: readonly CountGroupEvent[]; readonly reply: LedgerRecordReply };

const STREAM_PREFIX = `${COUNT_GROUP_CATEGORY}:`;
const REBUILD_PAGE = 1000;
/**
 * After losing the lock while Postgres kept running (only this replica's session ended: the
 * suspect one), a replica waits this many retry intervals before competing again, long enough
 * for a standby (which tries every interval) to win first. After a Postgres restart (every
 * session ended) or when Postgres cannot be asked, it competes again at once: it has the warm
 * window, and a lone ledger (the all-in-one) would otherwise stand idle.
 */
const LOST_BACKOFF_RETRIES = 2;

/**
 * Creates the cmid-ledger service (ADR 0003): one writer per schema elected
 * by a Postgres advisory lock, deciding against in-memory count groups
 * (ledger-domain) and committing requests in groups: the requests that arrive
 * while a commit is in flight go into the next one: ONE statement appending
 * their events (stream `countgroup:<applicationId>`, expected version) and
 * upserting the projection rows (deltas merged in SQL). Each request is
 * answered only after its commit; a failed commit rejects its whole batch and the
 * window is reloaded from Postgres.
 *
 * @example
 * const ledger = createLedgerService({ db, store, log });
 * const serving = serveLedger(transport, ledger);
 * await ledger.start(); // standbys wait here until they lead
 */
export function createLedgerService(opts: LedgerServiceOptions): LedgerService {
  const { store } = opts;
  const schema = store.schema;
  const clock = opts.clock ?? (() => new Date());
  const log = (opts.log ?? silentLogger).child({ component: 'cmid-ledger' });
  /** Lines that would repeat per batch or per retry while Postgres is down or full. */
  const repeats = throttleRepeats(log);
  const tracer = opts.tracer ?? getTracer('@kmsgrid/ledger-service');
  const maxSize = opts.batch?.maxSize ?? 500;
  const maxDelayMs = opts.batch?.maxDelayMs ?? 0;
  const maxPending = opts.batch?.maxPending ?? 20_000;
  const retryMs = opts.leader?.retryMs ?? 1000;
  const tables = (k: AnyDb): Kysely<LedgerTables> => (k as Kysely<LedgerTables>).withSchema(schema);
  const readDb = tables(opts.db);
  const restoreDb = (opts.db as Kysely<LedgerDatabase>).withSchema(schema);

  let states = new Map<string, CountGroupState>();
  let versions = new Map<string, number>();
  let stale = false;
  let leader = false;
  let stopRequested = false;
  let electing: Promise<void> | undefined;
  let started: Promise<void> | undefined;
  let resolveStarted: (() => void) | undefined;
  let wakeElection: (() => void) | undefined;
  const listeners = new Set<(leader: boolean) => void>();
  const counters = { batches: 0, recorded: 0, events: 0, failedBatches: 0, loads: 0 };
  /** Batches failed in a row, and since when: the recovery line says how long commits failed. */
  let failing: { since: number; batches: number } | undefined;

  const queue: Pending[] = [];
  const exclusive: (() => Promise<void>)[] = [];
  let looping: Promise<void> | undefined;
  let cancelTimer: (() => void) | undefined;

  const lock: WriterLock = createWriterLock(opts.leader?.lockDb ?? opts.db, {
    schema,
    ...(opts.leader?.heartbeatMs === undefined ? {} : { heartbeatMs: opts.leader.heartbeatMs }),
    onLost: (err) => lostLeadership(err),
  });

  function emit(value: boolean): void {
    for (const l of listeners) {
      try {
        l(value);
      } catch (err) {
        log.error('leadership listener failed', { err });
      }
    }
  }

  // ---- election -------------------------------------------------------------

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        wakeElection = undefined;
        resolve();
      }
      wakeElection = done;
    });

  async function elect(initialDelayMs = 0): Promise<void> {
    let attempts = 0;
    if (initialDelayMs > 0) await sleep(initialDelayMs);
    while (!stopRequested) {
      let acquired = false;
      try {
        acquired = await lock.tryAcquire();
      } catch (err) {
        repeats.warn('writer lock attempt failed', { err });
      }
      if (acquired) {
        try {
          await becomeLeader();
          return;
        } catch (err) {
          log.error('could not take over as ledger writer', { err });
          await lock.release().catch(() => undefined);
        }
      } else if (attempts++ === 0) {
        log.info('standing by: another replica holds the ledger writer lock', { schema });
      }
      if (!stopRequested) await sleep(retryMs);
    }
  }

  async function becomeLeader(): Promise<void> {
    await migrateToLatest(opts.db, { schema });
    await migrateLedger(opts.db, { schema });
    await warnIfNotDurable();
    await reload();
    if (stopRequested) {
      await lock.release();
      return;
    }
    leader = true;
    log.info('elected ledger writer', { schema, groups: states.size });
    emit(true);
    resolveStarted?.();
  }

  /** The ledger answers once a request is committed: say so when a commit would not survive a crash. */
  async function warnIfNotDurable(): Promise<void> {
    const d = await commitDurability(opts.db);
    if (!d.durable) {
      log.warn('the database does not make commits durable (fsync or synchronous_commit off): a crash of its server can lose activations already answered', {
        fsync: d.fsync,
        synchronousCommit: d.synchronousCommit,
      });
    }
  }

  function lostLeadership(err: unknown): void {
    if (!leader) return;
    leader = false;
    log.error('lost the ledger writer lock; standing by', { err });
    emit(false);
    for (const item of queue.splice(0)) fail(item, new LedgerServiceError('KMSG_ERR_LEDGER_NOT_LEADER', 'this replica lost the writer lock'));
    if (stopRequested) return;
    electing = lock.serverRestarted().then((restarted) => {
      // A healthy standby gets the first chance only when this replica's session alone ended.
      const backoffMs = restarted === false ? LOST_BACKOFF_RETRIES * retryMs : 0;
      log.info('competing for the ledger writer lock again', { restarted: restarted ?? 'unknown', inMs: backoffMs });
      return elect(backoffMs);
    });
  }

  async function reload(): Promise<void> {
    const loaded = await loadCountGroups({ db: restoreDb, store, log });
    states = loaded.states;
    versions = loaded.versions;
    stale = false;
    counters.loads++;
  }

  // ---- group commit -----------------------------------------------------------

  function schedule(): void {
    if (looping !== undefined) return; // the running loop takes what arrived during its commit
    if (queue.length >= maxSize) {
      cancelTimer?.();
      looping = runLoop();
      return;
    }
    if (cancelTimer !== undefined) return;
    const kick = (): void => {
      cancelTimer = undefined;
      if (looping === undefined && queue.length > 0) looping = runLoop();
    };
    if (maxDelayMs > 0) {
      const t = setTimeout(kick, maxDelayMs);
      cancelTimer = () => {
        clearTimeout(t);
        cancelTimer = undefined;
      };
    } else {
      const t = setImmediate(kick);
      cancelTimer = () => {
        clearImmediate(t);
        cancelTimer = undefined;
      };
    }
  }

  async function runLoop(): Promise<void> {
    try {
      while (queue.length > 0 || exclusive.length > 0) {
        const task = exclusive.shift();
        if (task !== undefined) await task();
        else await commitBatch(queue.splice(0, maxSize));
      }
    } finally {
      looping = undefined;
    }
  }

  /** Runs `fn` between two batches of this writer (the rebuild must not interleave with a commit). */
  function betweenBatches<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      exclusive.push(() => fn().then(resolve, reject));
      if (looping === undefined) looping = runLoop();
    });
  }

  function stateOf(applicationId: string): CountGroupState {
    let s = states.get(applicationId);
    if (s === undefined) {
      s = initialState();
      states.set(applicationId, s);
    }
    return s;
  }

  function succeed(d: Decided): void {
    const first = d.events[0];
    d.item.span.setAttribute(ATTR.currentCount, d.reply.count);
    d.item.span.setAttribute(LEDGER_ATTR.newClient, d.reply.newClient);
    if (first !== undefined) d.item.span.setAttribute(ATTR.eventType, first.type);
    d.item.span.end();
    counters.recorded++;
    d.item.resolve(d.reply);
  }

  function fail(item: Pending, err: LedgerServiceError): void {
    recordError(item.span, err);
    item.span.end();
    item.reject(err);
  }

  function metadataOf(item: Pending): EventMetadata {
    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, item.ctx);
    const m: Record<string, string> = { causationId: item.command.data.origin.requestId };
    const correlationId = carrier[CORRELATION_ID_HEADER];
    if (correlationId !== undefined) m['correlationId'] = correlationId;
    if (carrier[TRACEPARENT_HEADER] !== undefined) m['traceparent'] = carrier[TRACEPARENT_HEADER];
    if (carrier[TRACESTATE_HEADER] !== undefined) m['tracestate'] = carrier[TRACESTATE_HEADER];
    return m;
  }

  async function commitBatch(batch: Pending[]): Promise<void> {
    if (stale) {
      try {
        await reload();
      } catch (err) {
        const e = new LedgerServiceError('KMSG_ERR_LEDGER_UNAVAILABLE', 'the count window could not be reloaded from Postgres', { cause: err });
        for (const item of batch) fail(item, e);
        return;
      }
    }
    // Decide in arrival order against the state including the earlier requests of this batch.
    const decided: Decided[] = [];
    const byGroup = new Map<string, { item: Pending; event: CountGroupEvent }[]>();
    for (const item of batch) {
      try {
        const applicationId = item.command.data.applicationId;
        const state = stateOf(applicationId);
        const { events, reply } = recordActivation(state, item.command);
        for (const e of events) evolve(state, e);
        decided.push({ item, events, reply });
        if (events.length > 0) {
          const list = byGroup.get(applicationId) ?? [];
          for (const event of events) list.push({ item, event });
          byGroup.set(applicationId, list);
        }
      } catch (err) {
        fail(item, toLedgerError(err));
      }
    }
    const eventCount = [...byGroup.values()].reduce((n, l) => n + l.length, 0);
    if (eventCount === 0) {
      // Only re-deliveries of requests committed earlier: nothing to store.
      for (const d of decided) succeed(d);
      return;
    }
    // The commit belongs to the first request's trace (so a lone activation is one trace down
    // to Postgres) and is linked both ways with every request of the batch.
    const links: Link[] = decided.map((d) => ({ context: d.item.span.spanContext() }));
    const parent = trace.setSpan(ROOT_CONTEXT, decided[0]!.item.span);
    const batchSpan = tracer.startSpan(
      SPAN.eventAppend,
      { kind: SpanKind.INTERNAL, links, attributes: { [LEDGER_ATTR.batchSize]: decided.length, [LEDGER_ATTR.batchEvents]: eventCount } },
      parent,
    );
    for (const d of decided) d.item.span.addLink({ context: batchSpan.spanContext() });
    // Stream versions are known before the commit: the append checks each group is at `versions`.
    const appends: StreamAppend[] = [];
    const stored: StoredCountGroupEvent[] = [];
    for (const [applicationId, list] of byGroup) {
      const expected = versions.get(applicationId) ?? 0;
      appends.push({
        streamId: countGroupStreamId(applicationId),
        expectedVersion: expected,
        events: list.map(({ item, event }) => ({ type: event.type, data: event.data, metadata: metadataOf(item) })),
      });
      list.forEach(({ event }, i) => stored.push({ event, streamVersion: expected + i + 1 }));
    }
    const nextVersions = new Map<string, number>();
    try {
      // One statement, one round trip: the append and the projection upserts beside it.
      const alongside = projectionUpserts(schema, stored);
      const beforeCommit = opts.hooks?.beforeCommit;
      const results = await context.with(trace.setSpan(parent, batchSpan), () =>
        beforeCommit === undefined
          ? store.appendBatch(appends, { alongside })
          : store.transaction(async (tx) => {
              const r = await tx.appendBatch(appends, { alongside });
              await beforeCommit(tx.db as Transaction<unknown>, { requests: decided.length, events: eventCount });
              return r;
            }),
      );
      [...byGroup.keys()].forEach((applicationId, i) => nextVersions.set(applicationId, results[i]!.version));
    } catch (err) {
      recordError(batchSpan, err);
      batchSpan.end();
      counters.failedBatches++;
      if (failing === undefined) failing = { since: Date.now(), batches: 0 };
      failing.batches++;
      repeats.error('batch commit failed; reloading the count window', { err, requests: decided.length });
      const e = new LedgerServiceError('KMSG_ERR_LEDGER_COMMIT_FAILED', `the batch of ${decided.length} requests was not recorded`, { cause: err });
      for (const d of decided) fail(d.item, e);
      try {
        await reload();
      } catch (reloadErr) {
        stale = true;
        repeats.error('reloading the count window failed; retrying before the next batch', { err: reloadErr });
      }
      return;
    }
    for (const [applicationId, v] of nextVersions) versions.set(applicationId, v);
    if (failing !== undefined) {
      // The other end of the throttled failure lines: when, and after how much, commits work again.
      log.info('batch commits succeed again', { failedBatches: failing.batches, failingForMs: Date.now() - failing.since });
      failing = undefined;
    }
    counters.batches++;
    counters.events += eventCount;
    batchSpan.end();
    for (const d of decided) succeed(d);
  }

  // ---- the service ----------------------------------------------------------------

  const service: LedgerService = {
    start() {
      if (started !== undefined) return started;
      stopRequested = false;
      started = new Promise<void>((resolve) => (resolveStarted = resolve));
      electing = elect().finally(() => {
        if (!leader) resolveStarted?.();
      });
      return started;
    },

    record(request) {
      if (!leader) {
        return Promise.reject(
          stopRequested
            ? new LedgerServiceError('KMSG_ERR_LEDGER_STOPPING', 'the ledger is shutting down')
            : new LedgerServiceError('KMSG_ERR_LEDGER_NOT_LEADER', 'this replica is a standby'),
        );
      }
      if (queue.length >= maxPending) {
        return Promise.reject(new LedgerServiceError('KMSG_ERR_LEDGER_OVERLOADED', `${queue.length} requests are waiting for a commit`));
      }
      const parent = context.active();
      const r = request?.request;
      const span = tracer.startSpan(
        SPAN.ledgerRecord,
        {
          kind: SpanKind.INTERNAL,
          attributes: r === undefined ? {} : { [ATTR.applicationId]: r.applicationId, [ATTR.cmid]: r.cmid, [ATTR.licenseStatus]: r.licenseStatus },
        },
        parent,
      );
      let command: RecordActivationRequest;
      try {
        command = toRecordActivationRequest(ledgerRecordRequestCodec.check(request), clock());
      } catch (err) {
        const e = toLedgerError(err);
        recordError(span, e);
        span.end();
        return Promise.reject(e);
      }
      return new Promise<LedgerRecordReply>((resolve, reject) => {
        queue.push({ command, span, ctx: trace.setSpan(parent, span), resolve, reject });
        schedule();
      });
    },

    async stop() {
      stopRequested = true;
      wakeElection?.();
      if (leader) {
        leader = false;
        emit(false);
      }
      cancelTimer?.();
      if (queue.length > 0 && looping === undefined) looping = runLoop();
      while (looping !== undefined) await looping;
      await lock.release();
      await electing;
      resolveStarted?.();
      started = undefined;
      log.info('ledger stopped', { schema });
    },

    isLeader: () => leader,

    onLeadershipChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async status() {
      try {
        return await queryStatus(readDb, clock());
      } catch (err) {
        throw toLedgerError(err, 'KMSG_ERR_LEDGER_UNAVAILABLE');
      }
    },

    async listClients(query) {
      try {
        return await queryClients(readDb, query);
      } catch (err) {
        throw toLedgerError(err, 'KMSG_ERR_LEDGER_UNAVAILABLE');
      }
    },

    async rebuildProjections() {
      try {
        return await (leader ? betweenBatches(rebuild) : rebuild());
      } catch (err) {
        throw toLedgerError(err, 'KMSG_ERR_LEDGER_UNAVAILABLE');
      }
    },

    stats: () => ({ ...counters, pending: queue.length }),
  };

  function rebuild(): Promise<number> {
    return store.transaction(async (tx) => {
      const db = tables(tx.db);
      await truncateProjections(db, schema);
      let from = 1n;
      let replayed = 0;
      for (;;) {
        const page = await store.readAll({ fromPosition: from, limit: REBUILD_PAGE, trx: tx.db });
        if (page.events.length === 0) break;
        const events = page.events.filter((e) => e.streamId.startsWith(STREAM_PREFIX)).map(toStoredCountGroupEvent);
        await applyToProjections(tx.db, schema, events);
        replayed += events.length;
        from = page.nextPosition;
      }
      log.info('ledger projections rebuilt', { schema, replayed });
      return replayed;
    });
  }
  return service;
}
