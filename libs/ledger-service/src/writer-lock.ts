import { sql, type Kysely } from 'kysely';
import { advisoryLockKey } from '@kmsgrid/event-store';

/** Advisory lock key `[classid, objid]` of the ledger writer in `schema`. */
export function writerLockKey(schema: string): readonly [number, number] {
  return advisoryLockKey(schema, 'ledger-writer');
}

/** The single-writer lock of one schema (ADR 0003): a session-level Postgres advisory lock on a connection kept for it. */
export interface WriterLock {
  /** Tries once without waiting; true when this instance now holds the lock. */
  tryAcquire(): Promise<boolean>;
  /** Unlocks and returns the connection; a no-op when not held. */
  release(): Promise<void>;
  readonly held: boolean;
  /**
   * After the lock was lost: whether the server restarted since it was
   * taken (its postmaster start time changed, so every session ended, not
   * only this one's); undefined when the server cannot be asked now.
   */
  serverRestarted(): Promise<boolean | undefined>;
}

export type WriterLockOptions = Readonly<{
  schema: string;
  /** How often the held session is checked (default 2000 ms). */
  heartbeatMs?: number;
  /** Called once when the session holding the lock fails: leadership is lost. */
  onLost: (err: unknown) => void;
}>;

const sleep = (ms: number, signal: Promise<void>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void signal.then(() => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * A writer lock over `db`: while held, one connection of `db`'s pool stays
 * checked out (the advisory lock lives as long as its session), and a
 * heartbeat checks it. If the session dies, Postgres drops the lock and a
 * standby may take it; `onLost` tells this instance to stop writing. Appends
 * carry expected stream versions, so a writer that has not noticed yet cannot
 * corrupt a stream: its next commit fails with a version conflict.
 */
export function createWriterLock(db: Kysely<unknown>, opts: WriterLockOptions): WriterLock {
  const [classId, objId] = writerLockKey(opts.schema);
  const heartbeatMs = opts.heartbeatMs ?? 2000;
  let held = false;
  let releaseNow: (() => void) | undefined;
  let session: Promise<void> | undefined;
  /** The server's postmaster start time when the lock was last taken. */
  let takenOnServerStartedAt: string | undefined;

  return {
    get held() {
      return held;
    },
    tryAcquire() {
      if (held) return Promise.resolve(true);
      return new Promise<boolean>((resolve, reject) => {
        let settled = false;
        const released = new Promise<void>((r) => (releaseNow = r));
        session = db
          .connection()
          .execute(async (conn) => {
            const { rows } = await sql<{ ok: boolean; started: string }>`select pg_try_advisory_lock(${classId}::int4, ${objId}::int4) as ok, pg_postmaster_start_time()::text as started`.execute(conn);
            if (rows[0]?.ok !== true) {
              settled = true;
              resolve(false);
              return;
            }
            takenOnServerStartedAt = rows[0].started;
            held = true;
            settled = true;
            resolve(true);
            let stop = false;
            void released.then(() => (stop = true));
            while (!stop) {
              await sleep(heartbeatMs, released);
              if (stop) break;
              await sql`select 1`.execute(conn);
            }
            held = false;
            await sql`select pg_advisory_unlock(${classId}::int4, ${objId}::int4)`.execute(conn);
          })
          .catch((err: unknown) => {
            const wasHeld = held;
            held = false;
            if (!settled) reject(err);
            else if (wasHeld) opts.onLost(err);
          });
      });
    },
    async release() {
      releaseNow?.();
      releaseNow = undefined;
      await session;
      session = undefined;
    },
    async serverRestarted() {
      if (takenOnServerStartedAt === undefined) return undefined;
      try {
        const { rows } = await sql<{ started: string }>`select pg_postmaster_start_time()::text as started`.execute(db);
        return rows[0]?.started !== takenOnServerStartedAt;
      } catch {
        return undefined;
      }
    },
  };
}
