import { headers, nanos, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig, type StreamInfo } from 'nats';
import { sql, type Kysely } from 'kysely';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { EventStoreError } from './errors.js';
import { DEFAULT_SUBJECT_PREFIX, encodeEventMessage } from './event-message.js';
import type { EventStore } from './event-store.js';
import type { RecordedEvent } from './events.js';
import { eventRowToRecorded } from './mappers.js';
import { RELAY_CHECKPOINT } from './schema/migrations/20261128-0300-relay-checkpoint.js';
import type { EventStoreTables } from './schema/tables.js';

/** `running`: publishing or waiting for work; `backing-off`: the last attempt failed, retrying later. */
export type RelayState = 'stopped' | 'running' | 'backing-off';

/** What the relay reports about itself (health checks, metrics). */
export type RelayStatus = Readonly<{
  state: RelayState;
  consecutiveFailures: number;
  lastError?: string;
  /** Events acknowledged by JetStream since start (duplicates included). */
  publishedTotal: number;
  /** Acks that JetStream flagged `duplicate` (an earlier publish of the event was already stored). */
  duplicatesTotal: number;
  lastPublishedPosition?: bigint;
  lastPublishedAt?: Date;
}>;

/** Options of {@link createOutboxRelay}. */
export type OutboxRelayOptions<DB = unknown> = Readonly<{
  store: EventStore<DB>;
  /** JetStream, or anything that publishes like it (the all-in-one without NATS publishes in-process). */
  js: Pick<JetStreamClient, 'publish'>;
  /** Subject prefix (default `kmsgrid.events`): events go to `<prefix>.<aggregate>.<EventType>`. */
  subjectPrefix?: string;
  /** Outbox rows per batch (default 500). */
  batchSize?: number;
  /** Poll interval when idle (default 250 ms); appends through `store` wake the relay at once. */
  pollIntervalMs?: number;
  /**
   * Least time between the starts of two passes woken by appends (default
   * 20 ms): under load one pass takes the commits of the last 20 ms instead of
   * one pass (a read and an update) per commit. Bounds the added delivery latency.
   */
  coalesceMs?: number;
  /**
   * Row of `checkpoints` holding the last published global position (default
   * `outbox-relay`). Relays sharing it share the work (JetStream drops the duplicates).
   */
  checkpoint?: string;
  /** How long to wait for each PubAck (default 5000 ms). */
  publishTimeoutMs?: number;
  /** Retry delays after failures (default 100 ms doubling to 30 s, jittered). */
  backoff?: BackoffOptions;
  /** Bound on the final pass made by `stop()` (default 5000 ms; 0: no final pass). */
  drainTimeoutMs?: number;
  /** Called on every state change. */
  onStateChange?: (status: RelayStatus) => void;
  /**
   * Runs after JetStream acknowledged a batch and before the checkpoint moves
   * past it. Tests throw here to simulate a crash between publish and mark.
   */
  beforeMark?: (events: readonly RecordedEvent[]) => void | Promise<void>;
}>;

/** Publishes outbox rows to JetStream. Create with {@link createOutboxRelay}. */
export interface OutboxRelay {
  /** Starts the background loop (idempotent). */
  start(): void;
  /** Finishes the batch in flight, makes a bounded last pass, and stops. Never throws. */
  stop(): Promise<void>;
  /** Publishes until the outbox is empty; throws the first failure. For tests and shutdown hooks. */
  flush(): Promise<number>;
  /** Wakes the loop now (it also wakes on commits made through `store`). */
  wake(): void;
  status(): RelayStatus;
}

/** A batch was not fully acknowledged by JetStream; `cause` is the first failure. */
export class RelayPublishError extends EventStoreError {
  override readonly name = 'RelayPublishError';
  constructor(
    readonly globalPosition: bigint,
    options: { cause: unknown },
  ) {
    const msg = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('ES_STORAGE', `publishing the event at position ${globalPosition} failed: ${msg}`, options);
  }
}

/**
 * Relays the event log to JetStream (the outbox is the log itself after a
 * checkpoint): reads the events after its checkpoint in global order,
 * publishes each to `kmsgrid.events.<aggregate>.<EventType>` with
 * `Nats-Msg-Id` = event id and the stored trace context and correlation id as
 * headers, then moves the checkpoint past the acknowledged ones. A crash
 * between publish and checkpoint republishes the same ids, which JetStream
 * drops within the stream's duplicate window: each event is stored once. NATS outages are
 * retried with backoff and reported through `status()`; the loop never throws.
 *
 * @example
 * const relay = createOutboxRelay({ store, js: nc.jetstream() });
 * relay.start(); ... await relay.stop();
 */
export function createOutboxRelay<DB>(opts: OutboxRelayOptions<DB>): OutboxRelay {
  const { store, js } = opts;
  const prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const batchSize = opts.batchSize ?? 500;
  const pollIntervalMs = opts.pollIntervalMs ?? 250;
  const coalesceMs = opts.coalesceMs ?? 20;
  const checkpoint = opts.checkpoint ?? RELAY_CHECKPOINT;
  const publishTimeoutMs = opts.publishTimeoutMs ?? 5000;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new EventStoreError('ES_INVALID_ARGUMENT', 'relay batchSize must be in 1..10000');
  const es = (store.db as unknown as Kysely<EventStoreTables>).withSchema(store.schema);

  let state: RelayState = 'stopped';
  let consecutiveFailures = 0;
  let lastError: string | undefined;
  let publishedTotal = 0;
  let duplicatesTotal = 0;
  let lastPublishedPosition: bigint | undefined;
  let lastPublishedAt: Date | undefined;
  let stopping = false;
  let loopDone: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;
  let wakeSleeper: (() => void) | undefined;
  let wakePending = false;
  let chain: Promise<unknown> = Promise.resolve();

  const status = (): RelayStatus => ({ state, consecutiveFailures, lastError, publishedTotal, duplicatesTotal, lastPublishedPosition, lastPublishedAt });
  const setState = (s: RelayState): void => {
    if (s === state) return;
    state = s;
    try {
      opts.onStateChange?.(status());
    } catch {
      // a reporting callback must not stop the relay
    }
  };

  // One batch at a time per relay object (loop and flush share it).
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  async function publishBatch(): Promise<{ published: number; full: boolean }> {
    // Everything after the checkpoint, in global order (positions become visible in order).
    const rows = await es
      .selectFrom('events as e')
      .selectAll('e')
      .where('e.global_position', '>', (eb) =>
        eb.fn.coalesce(eb.selectFrom('checkpoints').select('position').where('name', '=', checkpoint), sql<string>`0`),
      )
      .orderBy('e.global_position')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return { published: 0, full: false };
    const events = rows.map(eventRowToRecorded);
    // Pipelined: nats.js writes each request in call order on one connection,
    // so JetStream stores them in global order.
    const acks = await Promise.allSettled(
      events.map((e) => {
        const m = encodeEventMessage(e, prefix);
        const h = headers();
        for (const [k, v] of Object.entries(m.headers)) h.set(k, v);
        return js.publish(m.subject, m.payload, { msgID: m.msgId, headers: h, timeout: publishTimeoutMs });
      }),
    );
    let ok = 0;
    while (ok < acks.length && acks[ok]!.status === 'fulfilled') ok++;
    if (ok > 0) {
      const done = events.slice(0, ok);
      await opts.beforeMark?.(done);
      const position = done[ok - 1]!.globalPosition.toString();
      // Never backwards: another relay on the same schema may have gone further.
      await es
        .insertInto('checkpoints')
        .values({ name: checkpoint, position })
        .onConflict((oc) => oc.column('name').doUpdateSet({ position: sql`greatest(checkpoints.position, excluded.position)`, updated_at: sql`now()` }))
        .execute();
      for (const a of acks.slice(0, ok)) if (a.status === 'fulfilled' && a.value.duplicate) duplicatesTotal++;
      publishedTotal += ok;
      lastPublishedPosition = done[ok - 1]!.globalPosition;
      lastPublishedAt = new Date();
    }
    const failed = acks[ok];
    if (failed && failed.status === 'rejected') throw new RelayPublishError(events[ok]!.globalPosition, { cause: failed.reason });
    return { published: ok, full: rows.length === batchSize };
  }

  const sleep = (ms: number, wakeable: boolean): Promise<void> =>
    new Promise((resolve) => {
      if (stopping || (wakeable && wakePending)) {
        wakePending = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = () => {
        if (wakeable || stopping) done();
      };
    });

  async function loop(): Promise<void> {
    let passStarted = Number.NEGATIVE_INFINITY;
    while (!stopping) {
      try {
        const sincePass = performance.now() - passStarted;
        if (wakePending && sincePass < coalesceMs) await sleep(coalesceMs - sincePass, false);
        wakePending = false;
        passStarted = performance.now();
        const r = await exclusive(publishBatch);
        consecutiveFailures = 0;
        lastError = undefined;
        setState('running');
        if (r.full) continue;
        await sleep(pollIntervalMs, true);
      } catch (e) {
        consecutiveFailures++;
        lastError = e instanceof Error ? e.message : String(e);
        setState('backing-off');
        await sleep(backoffDelay(consecutiveFailures, opts.backoff), false);
      }
    }
  }

  async function flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await exclusive(publishBatch);
      total += r.published;
      if (!r.full) return total;
    }
  }

  const wake = (): void => {
    wakePending = true;
    wakeSleeper?.();
  };

  return {
    start() {
      if (loopDone) return;
      stopping = false;
      unsubscribe = store.onCommitted(wake);
      setState('running');
      loopDone = loop();
    },
    async stop() {
      if (!loopDone) return;
      stopping = true;
      unsubscribe?.();
      wakeSleeper?.();
      await loopDone;
      loopDone = undefined;
      if (drainTimeoutMs > 0 && consecutiveFailures === 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([flush().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, drainTimeoutMs)))]);
        clearTimeout(timer);
      }
      setState('stopped');
    },
    flush,
    wake,
    status,
  };
}

/** Options of {@link ensureEventsStream}. */
export type EventsStreamOptions = Readonly<{
  /** Stream name (default `KMSGRID_EVENTS`). */
  name?: string;
  /** Subjects (default `['kmsgrid.events.>']`). */
  subjects?: readonly string[];
  /** JetStream de-duplication window in milliseconds (default 2 minutes, the NATS default). */
  duplicateWindow?: number;
  /** Drop messages older than this many milliseconds (default 0: keep forever). */
  maxAge?: number;
  /** `file` (default) or `memory`. */
  storage?: 'file' | 'memory';
  replicas?: number;
}>;

const isStreamNotFound = (e: unknown): boolean => {
  const err = e as { api_error?: { err_code?: number }; message?: string };
  return err?.api_error?.err_code === 10059 || /stream not found/i.test(err?.message ?? '');
};

/**
 * Creates the domain-event stream, or updates its subjects and duplicate
 * window if it exists. The duplicate window bounds the relay's exactly-once
 * guarantee: a relay down for longer than it between publish and mark would
 * publish a second copy.
 *
 * @example await ensureEventsStream(await nc.jetstreamManager(), { duplicateWindow: 10 * 60_000 });
 */
export async function ensureEventsStream(jsm: JetStreamManager, opts: EventsStreamOptions = {}): Promise<StreamInfo> {
  const name = opts.name ?? 'KMSGRID_EVENTS';
  const config: Partial<StreamConfig> = {
    subjects: [...(opts.subjects ?? [`${DEFAULT_SUBJECT_PREFIX}.>`])],
    duplicate_window: nanos(opts.duplicateWindow ?? 120_000),
    max_age: nanos(opts.maxAge ?? 0),
  };
  try {
    await jsm.streams.info(name);
  } catch (e) {
    if (!isStreamNotFound(e)) throw new EventStoreError('ES_STORAGE', `stream ${name}: ${(e as Error).message}`, { cause: e });
    return jsm.streams.add({
      ...config,
      name,
      storage: opts.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: opts.replicas ?? 1,
    });
  }
  return jsm.streams.update(name, config);
}
