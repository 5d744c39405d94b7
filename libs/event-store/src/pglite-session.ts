import { PGlite, parse as pgliteParse, protocol, type Results } from '@electric-sql/pglite';
import pg from 'pg';
import { durablePgliteOptions } from './pglite-durable.js';
import { asError, openFailureMessage } from './pglite-thread-protocol.js';

/**
 * What {@link PgliteDialect} needs of the one PGlite session: the PGlite
 * instance itself in this thread ({@link localSession}) or one running in a
 * worker thread ({@link startPgliteWorker}). Callers take turns: the dialect
 * never has two calls in flight.
 */
export interface PgliteSession {
  /** Resolves once the database is open and pg's result parsers are installed. */
  readonly waitReady: Promise<void>;
  readonly closed: boolean;
  /** Simple query protocol: one or more statements without parameters. */
  exec(text: string): Promise<Results[]>;
  /** Extended protocol, parsed and planned on every call. */
  query(text: string, params: readonly unknown[]): Promise<Results>;
  /**
   * Extended protocol through a named prepared statement of the session
   * (parsed once per text); `syncFs`: flush the data directory afterwards
   * (false inside a transaction, which flushes at commit).
   */
  prepared(text: string, params: readonly unknown[], syncFs: boolean): Promise<Results>;
  /** Waits for the call in progress, then closes the database (flushes the data directory). */
  close(): Promise<void>;
}

/**
 * `PGlite.create` on `dataDir` with its commits made durable
 * ({@link durablePgliteOptions}); in memory without one. Fails with what
 * PGlite threw (see {@link createPglite}).
 */
export const openPglite = (dataDir?: string): Promise<PGlite> => (dataDir === undefined ? PGlite.create() : PGlite.create(durablePgliteOptions(dataDir)));

/**
 * {@link openPglite}, failing with an Error that names the data directory
 * and what went wrong: PGlite's file system throws Emscripten's ErrnoError,
 * which is no Error and has no message.
 */
export async function createPglite(dataDir?: string): Promise<PGlite> {
  try {
    return await openPglite(dataDir);
  } catch (err) {
    const cause = asError(err);
    throw new Error(openFailureMessage(dataDir, cause), { cause });
  }
}

/** Thrown by every call of a PGlite session after a statement failed with severity PANIC or FATAL. */
export class PgliteStoppedError extends Error {
  override readonly name = 'PgliteStoppedError';
}

/** The severity of a Postgres error that ends the server (PANIC) or the session (FATAL), else undefined. */
export function fatalSeverity(err: unknown): 'PANIC' | 'FATAL' | undefined {
  const severity = (err as { severity?: unknown } | null)?.severity;
  return severity === 'PANIC' || severity === 'FATAL' ? severity : undefined;
}

/** Why a session stopped after `err`, an error of severity {@link fatalSeverity}. */
export const stoppedMessage = (severity: 'PANIC' | 'FATAL', err: Error): string => `the embedded database stopped after a ${severity}: ${err.message}`;

/**
 * The session of a PGlite instance of this thread; installs pg's result
 * parsers on it when ready. After a statement fails with severity PANIC or
 * FATAL every later call fails with {@link PgliteStoppedError}: Postgres
 * would end the server or the session there, and PGlite, which is both,
 * spins forever on the next statement (seen after a WAL segment that could
 * not be written on a full volume).
 */
export function localSession(pglite: PGlite): PgliteSession {
  const waitReady = pglite.waitReady.then(() => usePgParsers(pglite));
  let stopped: PgliteStoppedError | undefined;
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    if (stopped !== undefined) throw stopped;
    try {
      return await run();
    } catch (err) {
      const severity = fatalSeverity(err);
      if (severity !== undefined) stopped ??= new PgliteStoppedError(stoppedMessage(severity, asError(err)), { cause: err });
      throw err;
    }
  };
  return {
    waitReady,
    get closed() {
      return pglite.closed;
    },
    exec: (text) => guard(() => pglite.exec(text)),
    query: (text, params) => guard(() => pglite.query(text, params as unknown[])),
    prepared: (text, params, syncFs) => guard(() => runPrepared(pglite, text, params, syncFs)),
    close: () => pglite.close(),
  };
}

/** A statement prepared on a PGlite session: its name and the parameter types Postgres inferred. */
type PreparedOnSession = Readonly<{ name: string; types: readonly number[] }>;
const preparedBySession = new WeakMap<PGlite, Map<string, PreparedOnSession>>();
const NO_FS_SYNC = { syncToFs: false } as const;
let preparedCount = 0;

/**
 * Runs a statement as a named prepared statement of the session, as
 * createPostgresDb's pool does on Postgres: the first run parses it and
 * learns its parameter types, later runs only bind and execute (PGlite's
 * `query` parses, describes and plans every time: 10-22 % of the CPU of an
 * 8-event append with an upsert beside it). Otherwise the same steps as
 * `query`: values serialized per parameter type, a sync whatever happens,
 * the file system synced when asked, the instance's parsers on the rows.
 */
function runPrepared(pglite: PGlite, text: string, values: readonly unknown[], syncFs: boolean): Promise<Results> {
  const { serialize } = protocol;
  return pglite.runExclusive(async () => {
    let statements = preparedBySession.get(pglite);
    if (statements === undefined) preparedBySession.set(pglite, (statements = new Map()));
    let prepared = statements.get(text);
    if (prepared === undefined) {
      const name = `kg_pgl_${++preparedCount}`; // never reused, even after a failed prepare
      const described: Awaited<ReturnType<PGlite['execProtocolStream']>> = [];
      try {
        await pglite.execProtocolStream(serialize.parse({ name, text }), NO_FS_SYNC);
        described.push(...(await pglite.execProtocolStream(serialize.describe({ type: 'S', name }), NO_FS_SYNC)));
      } finally {
        await pglite.execProtocolStream(serialize.sync(), NO_FS_SYNC);
      }
      prepared = { name, types: pgliteParse.parseDescribeStatementResults(described) };
      statements.set(text, prepared);
    }
    const { name, types } = prepared;
    const serialized = values.map((v, i) => {
      if (v === null || v === undefined) return null;
      const serializer = pglite.serializers[types[i]!];
      return serializer ? serializer(v) : String(v);
    });
    const messages: Awaited<ReturnType<PGlite['execProtocolStream']>> = [];
    try {
      messages.push(...(await pglite.execProtocolStream(serialize.bind({ statement: name, values: serialized }), NO_FS_SYNC)));
      messages.push(...(await pglite.execProtocolStream(serialize.describe({ type: 'P' }), NO_FS_SYNC)));
      messages.push(...(await pglite.execProtocolStream(serialize.execute({}), NO_FS_SYNC)));
    } finally {
      messages.push(...(await pglite.execProtocolStream(serialize.sync(), { syncToFs: syncFs })));
    }
    return pgliteParse.parseResults(messages, pglite.parsers)[0]!;
  });
}

const PG_PARSED = new WeakSet<PGlite>();

/**
 * Replaces PGlite's result parsers with pg's text parsers (`pg.types`, as
 * createPostgresDb's pool uses them) for every type PGlite knows, so code
 * written against the pg dialect sees the same values: PGlite's own would
 * give int8 as number/BigInt and bytea as Uint8Array, and parse arrays of
 * types pg leaves as text. Type ids PGlite has no parser for stay strings
 * in both. (PGlite's `refreshArrayTypes()` would put its array parsers back.)
 */
function usePgParsers(pglite: PGlite): void {
  if (PG_PARSED.has(pglite)) return;
  const oids = new Set<number>(Object.values(pg.types.builtins));
  for (const key of Object.keys(pglite.parsers)) {
    const oid = Number(key);
    if (Number.isInteger(oid)) oids.add(oid);
  }
  for (const oid of oids) pglite.parsers[oid] = pg.types.getTypeParser(oid, 'text') as (value: string) => unknown;
  PG_PARSED.add(pglite);
}
