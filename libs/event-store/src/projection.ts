import type { AnyKysely } from './any-db.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { EventStoreError } from './errors.js';
import type { EventStore } from './event-store.js';
import type { RecordedEvent } from './events.js';
import type { EventStoreTables } from './schema/tables.js';

/**
 * A projection: an `evolve`-style handler applying one event to the caller's
 * tables inside the batch transaction, and a `reset` wiping those tables for a
 * rebuild. Handlers must be deterministic functions of the events (no clock,
 * no randomness) so a rebuild equals the live projection.
 */
export type ProjectionDefinition<DB> = Readonly<{
  /** Checkpoint name (unique per projection). */
  name: string;
  handle: (event: RecordedEvent, trx: Transaction<DB>) => Promise<void>;
  /** Wipes the projection's rows; required by `rebuild`. */
  reset?: (trx: Transaction<DB>) => Promise<void>;
  /** Events per transaction (default 500). */
  batchSize?: number;
  /** Only these event types reach `handle` (the checkpoint still advances past the others). */
  eventTypes?: readonly string[];
}>;

/** Runs a projection from its checkpoint. Create with {@link createProjection}. */
export interface ProjectionRunner {
  /** Applies every committed event after the checkpoint; returns how many reached `handle`. */
  catchUp(): Promise<number>;
  /** Resets the projection and replays all events in ONE transaction (readers see old or new, never half). */
  rebuild(): Promise<number>;
  /** Position of the last event applied (0n before the first). */
  checkpoint(): Promise<bigint>;
  /** Starts catching up in the background, woken by commits through the store and by polling. */
  start(): void;
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
  /** Last background failure, if the loop is backing off. */
  lastError(): string | undefined;
}

const POLL_MS = 500;

/**
 * Binds a projection to a store. Each batch locks the projection's checkpoint
 * row (so two runners of one projection never interleave), reads the next
 * events in global order, applies them and advances the checkpoint, all in one
 * transaction: the projection's rows always match its checkpoint.
 *
 * @example
 * const counts = createProjection(store, { name: 'client-counts', handle: applyToCounts, reset: wipeCounts });
 * await counts.catchUp();
 */
export function createProjection<DB>(store: EventStore<DB>, def: ProjectionDefinition<DB>, opts: { pollIntervalMs?: number; backoff?: BackoffOptions } = {}): ProjectionRunner {
  if (typeof def.name !== 'string' || def.name.length === 0 || def.name.length > 200) throw new EventStoreError('ES_INVALID_ARGUMENT', 'projection name must be 1..200 characters');
  const batchSize = def.batchSize ?? 500;
  const types = def.eventTypes ? new Set(def.eventTypes) : undefined;
  const es = (k: AnyKysely): Kysely<EventStoreTables> => (k as Kysely<EventStoreTables>).withSchema(store.schema);

  async function lockCheckpoint(trx: AnyKysely): Promise<bigint> {
    await es(trx).insertInto('checkpoints').values({ name: def.name, position: '0' }).onConflict((oc) => oc.column('name').doNothing()).execute();
    const row = await es(trx).selectFrom('checkpoints').select('position').where('name', '=', def.name).forUpdate().executeTakeFirstOrThrow();
    return BigInt(row.position);
  }

  async function saveCheckpoint(trx: AnyKysely, position: bigint): Promise<void> {
    await es(trx).updateTable('checkpoints').set({ position: position.toString(), updated_at: sql<Date>`now()` }).where('name', '=', def.name).execute();
  }

  // Applies up to `limit` events after the checkpoint; returns [applied, read].
  async function applyPage(trx: Transaction<DB>, from: bigint): Promise<{ applied: number; read: number; next: bigint }> {
    const page = await store.readAll({ fromPosition: from, limit: batchSize, trx });
    let applied = 0;
    for (const e of page.events) {
      if (types && !types.has(e.type)) continue;
      await def.handle(e, trx);
      applied++;
    }
    return { applied, read: page.events.length, next: page.nextPosition };
  }

  async function batch(): Promise<{ applied: number; full: boolean }> {
    return store.db.transaction().execute(async (trx) => {
      const at = await lockCheckpoint(trx);
      const r = await applyPage(trx, at + 1n);
      if (r.read > 0) await saveCheckpoint(trx, r.next - 1n);
      return { applied: r.applied, full: r.read === batchSize };
    });
  }

  let stopping = false;
  let loopDone: Promise<void> | undefined;
  let wakeSleeper: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let lastError: string | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = done;
    });

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        const r = await batch();
        failures = 0;
        lastError = undefined;
        if (r.full) continue;
        await sleep(opts.pollIntervalMs ?? POLL_MS);
      } catch (e) {
        failures++;
        lastError = e instanceof Error ? e.message : String(e);
        await sleep(backoffDelay(failures, opts.backoff));
      }
    }
  }

  return {
    async catchUp() {
      let total = 0;
      for (;;) {
        const r = await batch();
        total += r.applied;
        if (!r.full) return total;
      }
    },
    async rebuild() {
      if (!def.reset) throw new EventStoreError('ES_INVALID_ARGUMENT', `projection ${def.name} has no reset`);
      const reset = def.reset;
      return store.db.transaction().execute(async (trx) => {
        await lockCheckpoint(trx);
        await reset(trx);
        let from = 1n;
        let total = 0;
        let last = 0n;
        for (;;) {
          const r = await applyPage(trx, from);
          total += r.applied;
          if (r.read === 0) break;
          last = r.next - 1n;
          from = r.next;
        }
        await saveCheckpoint(trx, last);
        return total;
      });
    },
    async checkpoint() {
      const row = await es(store.db as AnyKysely).selectFrom('checkpoints').select('position').where('name', '=', def.name).executeTakeFirst();
      return row ? BigInt(row.position) : 0n;
    },
    start() {
      if (loopDone) return;
      stopping = false;
      unsubscribe = store.onCommitted(() => wakeSleeper?.());
      loopDone = loop();
    },
    async stop() {
      stopping = true;
      unsubscribe?.();
      wakeSleeper?.();
      await loopDone;
      loopDone = undefined;
    },
    lastError: () => lastError,
  };
}

/** Creates a projection runner and starts it. */
export function runProjection<DB>(store: EventStore<DB>, def: ProjectionDefinition<DB>, opts?: { pollIntervalMs?: number; backoff?: BackoffOptions }): ProjectionRunner {
  const runner = createProjection(store, def, opts);
  runner.start();
  return runner;
}

/** Resets a projection and replays every event into it in one transaction; returns how many events reached `handle`. */
export function rebuildProjection<DB>(store: EventStore<DB>, def: ProjectionDefinition<DB>): Promise<number> {
  return createProjection(store, def).rebuild();
}
