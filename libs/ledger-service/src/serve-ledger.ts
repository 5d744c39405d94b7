import { type Logger, silentLogger } from '@kmsgrid/config';
import {
  LEDGER_QUERY_QUEUE,
  LEDGER_QUERY_SUBJECTS,
  QUEUES,
  SUBJECTS,
  ledgerClientsReplyCodec,
  ledgerClientsRequestCodec,
  ledgerRecordReplyCodec,
  ledgerRecordRequestCodec,
  ledgerStatusReplyCodec,
  ledgerStatusRequestCodec,
  type Codec,
} from '@kmsgrid/contracts';
import type { Subscription, Transport, TransportReply } from '@kmsgrid/transport';
import { toServiceError } from './errors.js';
import type { LedgerService } from './ledger-service.js';

/** Options of {@link serveLedger}. */
export type ServeLedgerOptions = Readonly<{
  /** Queue group of `kmsgrid.ledger.v1.record` (default QUEUES.ledger); joined only while leading. */
  queue?: string;
  /** Queue group of the queries (default `cmid-ledger-query`); every replica joins it. */
  queryQueue?: string;
  log?: Logger;
}>;

/** What {@link serveLedger} started. */
export interface LedgerServing {
  /** Whether this replica currently serves `record`. */
  servesRecord(): boolean;
  /** Leaves every queue group, waiting for the requests being handled. */
  stop(): Promise<void>;
}

/**
 * Serves the ledger on a transport: `kmsgrid.ledger.v1.record` in queue
 * `cmid-ledger`, joined only while this replica holds the writer lock (ADR
 * 0003: standbys stay out of the group), and the queries `status` and
 * `clients` in their own queue group, on every replica. Failures answer with
 * the ledger's catalogued service errors (`kmsgrid-error: KMSG_ERR_LEDGER_*`).
 *
 * @example const serving = serveLedger(transport, ledger); await ledger.start(); ... await serving.stop(); await ledger.stop();
 */
export function serveLedger(transport: Transport, service: LedgerService, opts: ServeLedgerOptions = {}): LedgerServing {
  const log = (opts.log ?? silentLogger).child({ component: 'cmid-ledger-serve' });
  const queue = opts.queue ?? QUEUES.ledger;
  const queryQueue = opts.queryQueue ?? LEDGER_QUERY_QUEUE;

  function handler<Req, Rep>(request: Codec<Req>, reply: Codec<Rep>, run: (req: Req) => Promise<Rep>) {
    return async (msg: { data: Uint8Array }): Promise<TransportReply> => {
      try {
        return { data: reply.encode(await run(request.decode(msg.data))) };
      } catch (err) {
        throw toServiceError(err);
      }
    };
  }

  const queries: Subscription[] = [
    transport.serve(LEDGER_QUERY_SUBJECTS.status, { queue: queryQueue }, handler(ledgerStatusRequestCodec, ledgerStatusReplyCodec, () => service.status())),
    transport.serve(LEDGER_QUERY_SUBJECTS.clients, { queue: queryQueue }, handler(ledgerClientsRequestCodec, ledgerClientsReplyCodec, (q) => service.listClients(q))),
  ];

  let record: Subscription | undefined;
  const leaving = new Set<Promise<void>>();
  const recordHandler = handler(ledgerRecordRequestCodec, ledgerRecordReplyCodec, (req) => service.record(req));

  function follow(leader: boolean): void {
    if (leader && record === undefined) {
      record = transport.serve(SUBJECTS.ledgerRecord, { queue }, recordHandler);
      log.info('joined the record queue group', { subject: SUBJECTS.ledgerRecord, queue });
    } else if (!leader && record !== undefined) {
      const sub = record;
      record = undefined;
      const p: Promise<void> = sub
        .drain()
        .catch((err: unknown) => log.warn('leaving the record queue group failed', { err }))
        .finally(() => leaving.delete(p));
      leaving.add(p);
      log.info('left the record queue group', { subject: SUBJECTS.ledgerRecord, queue });
    }
  }

  const unlisten = service.onLeadershipChange(follow);
  follow(service.isLeader());

  return {
    servesRecord: () => record !== undefined,
    async stop() {
      unlisten();
      follow(false);
      await Promise.all([...leaving, ...queries.map((s) => s.drain())]);
    },
  };
}
