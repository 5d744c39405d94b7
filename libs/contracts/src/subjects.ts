/**
 * NATS subjects (../shared/ARCHITECTURE.md "Contracts"): request/reply is
 * `kmsgrid.<service>.v1.<verb>` served in queue groups; domain events are
 * `kmsgrid.events.<aggregate>.<EventType>` on JetStream.
 */
export const SUBJECTS = {
  policyDecide: 'kmsgrid.policy.v1.decide',
  ledgerRecord: 'kmsgrid.ledger.v1.record',
  ledgerStatus: 'kmsgrid.ledger.v1.status',
} as const;

/** Queue groups: replicas of one service share the requests of a subject. */
export const QUEUES = {
  policy: 'activation-policy',
  ledger: 'cmid-ledger',
} as const;

export const EVENTS_STREAM = 'KMSGRID_EVENTS';
export const eventSubject = (aggregate: string, type: string): string => `kmsgrid.events.${aggregate}.${type}`;

/** Message headers besides W3C `traceparent`/`tracestate`. */
export const HEADERS = {
  correlationId: 'kmsgrid-correlation-id',
} as const;
