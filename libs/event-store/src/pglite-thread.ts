import type { Results } from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { fatalSeverity, stoppedMessage, type PgliteSession } from './pglite-session.js';
import { openFailureMessage, reviveError, type WorkerCall, type WorkerCallBody, type WorkerData, type WorkerReply } from './pglite-thread-protocol.js';

/** Options of {@link startPgliteWorker}. */
export type PgliteWorkerOptions = Readonly<{
  /** Data directory (must exist); omit for an in-memory database. */
  dataDir?: string;
  /**
   * Called once if the worker thread stops without being closed (a crash, or
   * a statement that failed with severity PANIC or FATAL, after which the
   * thread is stopped): every call fails from then on.
   */
  onExit?: (err: Error) => void;
  /** V8 heap limits of the worker thread (Node's `resourceLimits`; PGlite's WASM memory is not part of them). */
  resourceLimits?: ResourceLimits;
}>;

/** Thrown by calls of a PGlite worker session that has stopped. */
export class PgliteWorkerError extends Error {
  override readonly name = 'PgliteWorkerError';
}

/**
 * Opens PGlite in a worker thread and returns its session. PGlite runs
 * Postgres as WASM on the thread that calls it, synchronously for the whole
 * statement: on the main thread every commit (about 1 ms) and every large
 * read (an admin listing) stops the event loop, KMS sockets included. In a
 * worker the main thread only posts the statement and its parameters and
 * gets the parsed rows back (structured clone: Dates stay Dates; bytea,
 * which arrives as Uint8Array, is made a Buffer again).
 *
 * The worker is `pglite-worker.js` beside this module once bundled
 * (tools/build emits it next to every app that uses it), or
 * `pglite-worker.ts` run through tsx from the sources (tests).
 */
export async function startPgliteWorker(opts: PgliteWorkerOptions = {}): Promise<PgliteSession> {
  const [entry, entryOptions] = workerEntry();
  const worker = new Worker(entry, {
    ...entryOptions,
    workerData: { dataDir: opts.dataDir } satisfies WorkerData,
    ...(opts.resourceLimits === undefined ? {} : { resourceLimits: opts.resourceLimits }),
  });
  const pending = new Map<number, { resolve: (r: Results | Results[] | void) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let closed = false;
  /** Set when close() is called, before the worker can exit: an exit after it is not a crash. */
  let closeRequested = false;
  let stopped: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (m: WorkerReply): void => {
      if (!('ready' in m)) return;
      worker.off('message', onMessage);
      if (m.ready) resolve();
      else {
        const cause = reviveError(m.error);
        reject(new PgliteWorkerError(openFailureMessage(opts.dataDir, cause), { cause }));
      }
    };
    worker.on('message', onMessage);
    worker.once('exit', () => reject(stopped ?? new PgliteWorkerError('the PGlite worker thread exited while opening the database')));
  });
  worker.on('message', (m: WorkerReply) => {
    if (!('id' in m)) return;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.ok) {
      p.resolve(m.result);
      return;
    }
    const err = reviveError(m.error);
    p.reject(err);
    const severity = fatalSeverity(m.error.fields);
    if (severity !== undefined) {
      // Postgres ends the server after a PANIC and the session after a FATAL; PGlite is both
      // and carries on, spinning forever on the next statement (seen after a WAL segment that
      // could not be written on a full volume). Stop the thread: every call fails from now on.
      stopped ??= new PgliteWorkerError(stoppedMessage(severity, err), { cause: err });
      void worker.terminate();
    }
  });
  worker.on('error', (err) => {
    stopped = new PgliteWorkerError(`the PGlite worker thread failed: ${err.message}`, { cause: err });
  });
  worker.once('exit', (code) => {
    stopped ??= new PgliteWorkerError(`the PGlite worker thread exited (code ${code})`);
    for (const p of pending.values()) p.reject(stopped);
    pending.clear();
    closed = true;
    if (!closeRequested) opts.onExit?.(stopped);
  });

  const call = <T extends Results | Results[] | void>(c: WorkerCallBody): Promise<T> => {
    if (stopped !== undefined) return Promise.reject(stopped);
    const id = ++nextId;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (r: Results | Results[] | void) => void, reject });
      worker.postMessage({ ...c, id } as WorkerCall);
    });
  };

  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    waitReady: ready,
    get closed() {
      return closed;
    },
    exec: async (text) => (await call<Results[]>({ op: 'exec', text })).map(withBuffers),
    query: async (text, params) => withBuffers(await call<Results>({ op: 'query', text, params })),
    prepared: async (text, params, syncFs) => withBuffers(await call<Results>({ op: 'prepared', text, params, syncFs })),
    close: () =>
      (closing ??= (async () => {
        closeRequested = true;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        try {
          await call<void>({ op: 'close' });
        } finally {
          closed = true;
          if (stopped === undefined) await exited;
        }
      })()),
  };
}

/** The worker's script: the bundled one beside this module, else the source through tsx. */
function workerEntry(): [URL | string, { eval?: boolean }] {
  const bundled = new URL('./pglite-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return [bundled, {}];
  const source = new URL('./pglite-worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(source))) throw new PgliteWorkerError(`${fileURLToPath(bundled)} is missing: build the app with tools/build, which emits it beside main.js`);
  // An ESM worker cannot be given a loader by execArgv here: register tsx, then import the source.
  const script = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
  return [script, { eval: true }];
}

/** pg's parsers give bytea (and bytea[]'s elements) as Buffers; structured clone makes them Uint8Arrays. */
function withBuffers(r: Results): Results {
  for (const row of r.rows as Record<string, unknown>[]) {
    if (typeof row !== 'object' || row === null) continue;
    for (const k in row) row[k] = asBuffer(row[k]);
  }
  return r;
}

function asBuffer(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = asBuffer(v[i]);
  return v;
}
