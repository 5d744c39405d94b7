import { headers, nanos, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig, type StreamInfo } from 'nats';
import { sql, type Kysely } from 'kysely';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { EventStoreError } from './errors.js';
import { DEFAULT_SUBJECT_PREFIX, encodeEventMessage, eventSubject } from './event-message.js';
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
  /** Passes that published events committed through the relay's store straight from memory. */
  passesFromMemory: number;
  /** Passes that read the log after the checkpoint (start, polls, gaps: another process's appends, overflows). */
  passesFromLog: number;
}>;

/** The acknowledgement of an event nobody takes (see `wanted`). */
const PASSED_OVER = Promise.resolve({ duplicate: false });

/** Committed events a relay keeps for its next passes; beyond this it reads them back from the log. */
const MAX_RECENT = 20_000;

/** Options of {@link createOutboxRelay}. */
export type OutboxRelayOptions<DB = unknown> = Readonly<{
  store: EventStore<DB>;
  /** JetStream, or anything that publishes like it (the all-in-one without NATS publishes in-process). */
  js: Pick<JetStreamClient, 'publish'>;
  /** Subject prefix (default `kmsgrid.events`): events go to `<prefix>.<aggregate>.<EventType>`. */
  subjectPrefix?: string;
  /**
   * Whether anyone takes events on a subject now (default: always). Events on
   * other subjects are passed over as published without being encoded: for an
   * in-process bus, where a message nobody subscribes to is simply dropped.
   * JetStream stores every event, so NATS relays leave this unset.
   */
  wanted?: (subject: string) => boolean;
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
 * checkpoint): takes the events after its checkpoint in global order (those
 * committed through `store` from memory, as handed to its commit listeners;
 * anything else, or after a gap or restart, read from the log),
 * publishes each to `kmsgrid.events.<aggregate>.<EventType>` with
 * `Nats-Msg-Id` = event id and the stored trace context and correlation id as
 * headers, then moves the checkpoint past the acknowledged ones. A crash
 * between publish and checkpoint republishes the same ids, which JetStream
 * drops within the stream's duplicate window: each event is stored once. NATS outages are
 * retried with backoff and reported through `status()`; the loop never throws.
 *
 * @example
 * const relay = createOutboxRelay({ store, js: createJetStreamPublisher(nc) }); // @kmsgrid/transport; nc.jetstream() works too
 * relay.start(); ... await relay.stop();
 */
export function createOutboxRelay<DB>(opts: OutboxRelayOptions<DB>): OutboxRelay {
  const { store, js, wanted } = opts;
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
  let passesFromMemory = 0;
  let passesFromLog = 0;
  let stopping = false;
  let loopDone: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;
  let wakeSleeper: (() => void) | undefined;
  let wakePending = false;
  let chain: Promise<unknown> = Promise.resolve();
  /** Events committed through `store` and not yet published or found stale (see takeRecent). */
  let recent: RecordedEvent[] = [];
  /** The checkpoint as this relay last read or wrote it; the stored one is never lower. */
  let known: bigint | undefined;

  const status = (): RelayStatus => ({
    state,
    consecutiveFailures,
    lastError,
    publishedTotal,
    duplicatesTotal,
    lastPublishedPosition,
    lastPublishedAt,
    passesFromMemory,
    passesFromLog,
  });
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

  /**
   * Publishes the next events after the checkpoint: from {@link recent} when
   * they follow it without a gap, else read from the log.
   */
  async function publishBatch(): Promise<{ published: number; full: boolean }> {
    let events = takeRecent();
    let full: boolean;
    if (events !== undefined) {
      passesFromMemory++;
      full = recent.length > events.length && recent[events.length]!.globalPosition === events[events.length - 1]!.globalPosition + 1n;
    } else {
      passesFromLog++;
      const after = await readCheckpoint();
      if (known === undefined || after > known) known = after;
      // Everything after the checkpoint, in global order (positions become visible in order).
      const rows = await es.selectFrom('events as e').selectAll('e').where('e.global_position', '>', after.toString()).orderBy('e.global_position').limit(batchSize).execute();
      events = rows.map(eventRowToRecorded);
      full = rows.length === batchSize;
    }
    if (events.length === 0) return { published: 0, full: false };
    // Pipelined: nats.js writes each request in call order on one connection,
    // so JetStream stores them in global order.
    const acks = await Promise.allSettled(
      events.map((e) => {
        if (wanted !== undefined && !wanted(eventSubject(e.streamId, e.type, prefix))) return PASSED_OVER;
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
      const last = done[ok - 1]!.globalPosition;
      // Never backwards: another relay on the same schema may have gone further.
      await es
        .insertInto('checkpoints')
        .values({ name: checkpoint, position: last.toString() })
        .onConflict((oc) => oc.column('name').doUpdateSet({ position: sql`greatest(checkpoints.position, excluded.position)`, updated_at: sql`now()` }))
        .execute();
      if (known === undefined || last > known) known = last;
      for (const a of acks.slice(0, ok)) if (a.status === 'fulfilled' && a.value.duplicate) duplicatesTotal++;
      publishedTotal += ok;
      lastPublishedPosition = last;
      lastPublishedAt = new Date();
    }
    const failed = acks[ok];
    if (failed && failed.status === 'rejected') throw new RelayPublishError(events[ok]!.globalPosition, { cause: failed.reason });
    return { published: ok, full };
  }

  async function readCheckpoint(): Promise<bigint> {
    const row = await es.selectFrom('checkpoints').select('position').where('name', '=', checkpoint).executeTakeFirst();
    return row === undefined ? 0n : BigInt(row.position);
  }

  /**
   * The events of {@link recent} that directly follow the checkpoint (at most
   * a batch), or undefined when the next event is not there: before the
   * first pass, after an overflow, or when another process appended in between.
   */
  function takeRecent(): RecordedEvent[] | undefined {
    if (known === undefined) return undefined;
    let stale = 0;
    while (stale < recent.length && recent[stale]!.globalPosition <= known) stale++;
    if (stale > 0) recent = recent.slice(stale);
    if (recent.length === 0 || recent[0]!.globalPosition !== known + 1n) return undefined;
    let n = 1;
    while (n < recent.length && n < batchSize && recent[n]!.globalPosition === recent[n - 1]!.globalPosition + 1n) n++;
    return recent.slice(0, n);
  }

  const onCommitted = (stored: readonly RecordedEvent[]): void => {
    if (stored.length > 0) {
      // Bounded while JetStream is away: the log holds them all, a pass reads them back.
      if (recent.length + stored.length > MAX_RECENT) recent = [];
      else for (const e of stored) recent.push(e);
    }
    wake();
  };

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
      unsubscribe = store.onCommitted(onCommitted);
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
