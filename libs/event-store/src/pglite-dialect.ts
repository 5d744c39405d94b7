import type { PGlite, Results } from '@electric-sql/pglite';
import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { localSession, type PgliteSession } from './pglite-session.js';
import { PREPARED } from './postgres.js';

/** Options of {@link PgliteDialect}. */
export type PgliteDialectConfig = Readonly<
  (
    | {
        /** A PGlite instance of this thread; its result parsers are set to pg's when the dialect starts (see {@link PgliteDialect}). */
        pglite: PGlite;
      }
    | {
        /** The session of a PGlite of this thread ({@link localSession}) or of a worker thread (`startPgliteWorker`). */
        session: PgliteSession;
      }
  ) & {
    /** Close the database when the Kysely instance is destroyed (default false: the caller owns it). */
    closeOnDestroy?: boolean;
  }
>;

/** Thrown for what one in-process PGlite session cannot do (streaming, use after destroy). */
export class PgliteDialectError extends Error {
  override readonly name = 'PgliteDialectError';
}

/**
 * A kysely dialect that runs statements on a PGlite instance in this process
 * (its own `query` / `exec`, on this thread or on a worker thread), with no
 * Postgres wire protocol and no socket in between. Query building,
 * migrations and introspection are kysely's Postgres ones.
 *
 * PGlite is ONE Postgres session. Kysely connections are handles onto it:
 * a statement outside a transaction takes the session for itself only; a
 * transaction (begin .. commit/rollback) keeps it to the end, and every other
 * statement waits, first come first served. So `db.connection()` does not
 * reserve a session as it does on a pg Pool: session state (SET, advisory
 * locks, temporary tables) is shared by all handles, and a session-level
 * advisory lock is held once per process, not per handle (no competitor can
 * exist in one process). Transactions must be started through kysely
 * (`transaction()`, `startTransaction()`), not by raw `begin`.
 *
 * Results are shaped as kysely's pg dialect gives them: the dialect installs
 * pg's text parsers (`pg.types`) on the instance, so int8 and numeric are
 * strings, timestamptz/date are Dates, jsonb is parsed, bytea is a Buffer.
 * Parameters are serialized by PGlite per parameter type as Postgres
 * inferred it, plain objects as JSON as pg does. Errors are PGlite's
 * DatabaseError: `code`, `constraint`, `detail`, `hint`, `schema`, `table`
 * like pg's. `stream()` is not supported. A statement whose text starts
 * with `PREPARED` runs as a named prepared statement of the session, as on a
 * createPostgresDb pool.
 *
 * @example
 * const pglite = await PGlite.create('./data/pg');
 * const db = new Kysely<DB>({ dialect: new PgliteDialect({ pglite, closeOnDestroy: true }) });
 * // or, off the event loop's thread:
 * const session = await startPgliteWorker({ dataDir: './data/pg' });
 * const db2 = new Kysely<DB>({ dialect: new PgliteDialect({ session, closeOnDestroy: true }) });
 */
export class PgliteDialect implements Dialect {
  readonly #config: PgliteDialectConfig;

  constructor(config: PgliteDialectConfig) {
    this.#config = config;
  }

  createDriver(): Driver {
    return new PgliteDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's Dialect signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

/**
 * First-come-first-served ownership of the one PGlite session. Release hands
 * it straight to the next waiter, so nobody can slip in between.
 */
class SessionQueue {
  #busy = false;
  readonly #waiters: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#busy = false;
  }
}

/** The driver: hands out connection handles and moves session ownership at begin/commit/rollback. */
class PgliteDriver implements Driver {
  readonly #pglite: PgliteSession;
  readonly #closeOnDestroy: boolean;
  readonly #session = new SessionQueue();
  #destroyed = false;

  constructor(config: PgliteDialectConfig) {
    this.#pglite = 'session' in config ? config.session : localSession(config.pglite);
    this.#closeOnDestroy = config.closeOnDestroy ?? false;
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#destroyed) throw new PgliteDialectError('the PGlite database has been destroyed');
    return new PgliteConnection(this.#pglite, this.#session);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await asPglite(connection).begin(beginStatement(settings));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = asPglite(connection);
    if (!conn.inTransaction) throw new PgliteDialectError('commit without a transaction on this connection');
    const { command } = await conn.end('commit');
    // Postgres completes COMMIT with a ROLLBACK tag when an earlier error aborted the transaction.
    if (command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = asPglite(connection);
    // Kysely rolls back after a failed commit too; the transaction has ended by then and the
    // session may already belong to someone else's transaction: do not touch it.
    if (!conn.inTransaction) return;
    await conn.end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteIdentifier(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A handle given back inside a transaction (an abandoned controlled transaction) would keep
    // the session forever: roll it back so the process can go on.
    const conn = asPglite(connection);
    if (conn.inTransaction) await conn.end('rollback');
  }

  /** Waits for the statement or transaction in progress, then closes PGlite if asked to. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#session.acquire();
    try {
      if (this.#closeOnDestroy) await this.#pglite.close();
    } finally {
      this.#session.release();
    }
  }
}

const AFFECTS_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * One kysely connection: a handle onto the shared session. Outside a
 * transaction each statement queues for the session; inside one, the handle
 * owns the session until commit or rollback.
 */
class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PgliteSession;
  readonly #session: SessionQueue;
  #ownsSession = false;

  constructor(pglite: PgliteSession, session: SessionQueue) {
    this.#pglite = pglite;
    this.#session = session;
  }

  get inTransaction(): boolean {
    return this.#ownsSession;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#ownsSession) return toQueryResult<R>(await this.#run(compiledQuery.sql, compiledQuery.parameters));
    await this.#session.acquire();
    try {
      return toQueryResult<R>(await this.#run(compiledQuery.sql, compiledQuery.parameters));
    } finally {
      this.#session.release();
    }
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new PgliteDialectError('stream() is not supported on embedded PGlite: read in pages (limit/offset or keyset) instead');
  }

  /** Takes the session for a transaction and starts it. */
  async begin(statement: string): Promise<void> {
    await this.#session.acquire();
    this.#ownsSession = true;
    try {
      await this.#run(statement, []);
    } catch (err) {
      this.#releaseSession();
      throw err;
    }
  }

  /** Ends the transaction and gives the session to the next in line, whatever the outcome. */
  async end(statement: 'commit' | 'rollback'): Promise<Results> {
    try {
      return await this.#run(statement, []);
    } finally {
      this.#releaseSession();
    }
  }

  #releaseSession(): void {
    this.#ownsSession = false;
    this.#session.release();
  }

  /**
   * Runs one statement through the extended protocol (`query`). Only a
   * script of several statements (no parameters, a `;` before its end) goes
   * through the simple protocol (`exec`), as pg would send it (its result,
   * like pg's, has no rows): after a PANIC there (a WAL segment that cannot
   * be written on a full volume) PGlite spins forever inside the call, where
   * the extended protocol reports the error (see pglite-session.ts).
   */
  async #run(text: string, parameters: readonly unknown[]): Promise<Results> {
    if (parameters.length === 0 && isScript(text)) {
      const results = await this.#pglite.exec(text);
      return results.length === 1 ? results[0]! : { rows: [], fields: [] };
    }
    if (text.startsWith(PREPARED)) return this.#pglite.prepared(text, parameters.map(toParameter), !this.#ownsSession);
    return this.#pglite.query(text, parameters.map(toParameter));
  }
}

/** Several statements: a `;` before the end (a literal or comment holding one makes it a script too: harmless). */
function isScript(text: string): boolean {
  const end = text.trimEnd();
  const semicolon = end.indexOf(';');
  return semicolon >= 0 && semicolon < end.length - 1;
}

function asPglite(connection: DatabaseConnection): PgliteConnection {
  if (!(connection instanceof PgliteConnection)) throw new PgliteDialectError('not a connection of this dialect');
  return connection;
}

function toQueryResult<R>(result: Results): QueryResult<R> {
  const { command } = result;
  return {
    numAffectedRows: command !== undefined && AFFECTS_ROWS.has(command) ? BigInt(result.rowCount ?? result.affectedRows ?? 0) : undefined,
    rows: result.rows as R[],
  };
}

/**
 * pg sends a plain object as JSON whatever the parameter's type; PGlite
 * would print it with toString() where Postgres inferred text. Dates, byte
 * arrays and arrays are left to PGlite's serializer of the inferred type.
 */
function toParameter(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || ArrayBuffer.isView(value) || Array.isArray(value)) return value;
  return JSON.stringify(value);
}

/** A savepoint name as a quoted identifier (names come from the application). */
const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** `begin`, or `start transaction` with the isolation level / access mode kysely was given. */
function beginStatement(settings: TransactionSettings): string {
  if (!settings.isolationLevel && !settings.accessMode) return 'begin';
  let statement = 'start transaction';
  if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`;
  if (settings.accessMode) statement += ` ${settings.accessMode}`;
  return statement;
}
