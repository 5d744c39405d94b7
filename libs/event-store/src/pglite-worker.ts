/**
 * Entry of the worker thread that runs embedded PGlite for
 * {@link startPgliteWorker} (see pglite-thread.ts for the protocol). It is
 * bundled on its own beside an app's main.js (tools/build), so it imports
 * npm packages and files of this folder only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { localSession, openPglite } from './pglite-session.js';
import { serializeError, type WorkerCall, type WorkerData, type WorkerReply } from './pglite-thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('pglite-worker.js runs as a worker thread (startPgliteWorker)');
const { dataDir } = workerData as WorkerData;

try {
  // The launcher names the data directory in an open failure (openFailureMessage).
  const session = localSession(await openPglite(dataDir));
  await session.waitReady;
  // Calls run one after the other in arrival order (the dialect never has two in flight; a
  // close sent while a call runs waits for it).
  let previous: Promise<unknown> = Promise.resolve();
  port.on('message', (call: WorkerCall) => {
    previous = previous.then(async () => {
      let reply: WorkerReply;
      try {
        const result = call.op === 'exec' ? await session.exec(call.text) : call.op === 'query' ? await session.query(call.text, call.params) : call.op === 'prepared' ? await session.prepared(call.text, call.params, call.syncFs) : await session.close();
        reply = { id: call.id, ok: true, result };
      } catch (err) {
        reply = { id: call.id, ok: false, error: serializeError(err) };
      }
      port.postMessage(reply);
      if (call.op === 'close' && reply.ok) port.close();
    });
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ ready: false, error: serializeError(err) } satisfies WorkerReply);
}
