import type { Results } from '@electric-sql/pglite';

/** What the PGlite worker thread is started with. */
export type WorkerData = Readonly<{ dataDir: string | undefined }>;

/** A call into the worker: one method of {@link PgliteSession}. */
export type WorkerCall =
  | Readonly<{ id: number; op: 'exec'; text: string }>
  | Readonly<{ id: number; op: 'query'; text: string; params: readonly unknown[] }>
  | Readonly<{ id: number; op: 'prepared'; text: string; params: readonly unknown[]; syncFs: boolean }>
  | Readonly<{ id: number; op: 'close' }>;

/** A call without its id (what a caller of the session asks). */
export type WorkerCallBody = WorkerCall extends infer C ? (C extends WorkerCall ? Omit<C, 'id'> : never) : never;

/** An error as it crosses the thread boundary: its name, message, stack and plain fields (`code`, `detail`, `hint`, ...). */
export type SerializedError = Readonly<{ name: string; message: string; stack: string | undefined; fields: Record<string, string | number | boolean> }>;

/** What the worker posts: once whether it opened the database, then one reply per call. */
export type WorkerReply =
  | Readonly<{ ready: true }>
  | Readonly<{ ready: false; error: SerializedError }>
  | Readonly<{ id: number; ok: true; result: Results | Results[] | void }>
  | Readonly<{ id: number; ok: false; error: SerializedError }>;

/**
 * Keeps what the dialect's callers read of an error (PGlite's DatabaseError
 * carries `code`, `detail`, `hint`, `constraint`, ... as pg's does). Fields
 * that are not strings, numbers or booleans (the query's parameters and
 * options PGlite attaches) stay behind.
 */
export function serializeError(err: unknown): SerializedError {
  if (typeof err !== 'object' || err === null) return { name: 'Error', message: String(err), stack: undefined, fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k !== 'name' && k !== 'message' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) fields[k] = v;
  }
  const { name, message, stack } = err as { name?: unknown; message?: unknown; stack?: unknown };
  const named = typeof name === 'string' ? name : 'Error';
  // PGlite's file system throws Emscripten's ErrnoError, which is no Error and has no message: name its fields.
  const described = Object.entries(fields).map(([k, v]) => `${k} ${String(v)}`).join(', ');
  return {
    name: named,
    message: typeof message === 'string' ? message : described === '' ? named : `${named} (${described})`,
    stack: typeof stack === 'string' ? stack : undefined,
    fields,
  };
}

/** The error again, on this side: an Error with the same name, message and fields, and the worker's stack. */
export function reviveError(e: SerializedError): Error {
  const err = toPlainError(e);
  if (e.stack !== undefined) err.stack = `${e.stack}\n    at <PGlite worker thread>`;
  return err;
}

/** `err` if it is an Error, else an Error describing it as {@link serializeError} does (Emscripten's ErrnoError). */
export function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = serializeError(err);
  const plain = toPlainError(e);
  if (e.stack !== undefined) plain.stack = e.stack;
  return plain;
}

/** What opening the database in `dataDir` failed with, for the one who asked to open it. */
export function openFailureMessage(dataDir: string | undefined, cause: Error): string {
  return `could not open the embedded database${dataDir === undefined ? '' : ` in ${dataDir}`}: ${cause.message}`;
}

function toPlainError(e: SerializedError): Error {
  const err = Object.assign(new Error(e.message), e.fields);
  Object.defineProperty(err, 'name', { value: e.name, configurable: true, writable: true });
  return err;
}
