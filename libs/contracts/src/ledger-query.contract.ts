import { Type, type Static } from '@sinclair/typebox';
import { KmsRequestSchema, RequestOriginSchema } from './activation.contract.js';
import { jsonCodec } from './schema.js';
import { SUBJECTS } from './subjects.js';

/**
 * Read side of cmid-ledger: any replica answers these from Postgres (the
 * projections), in their own queue group so standbys serve them too.
 */
export const LEDGER_QUERY_SUBJECTS = {
  status: SUBJECTS.ledgerStatus,
  clients: 'kmsgrid.ledger.v1.clients',
} as const;

/** Queue group of the ledger queries (every replica, leader or standby, joins it). */
export const LEDGER_QUERY_QUEUE = 'cmid-ledger-query';

/** Most clients one `clients` query returns. */
export const LEDGER_CLIENTS_MAX_LIMIT = 500;

const Guid = KmsRequestSchema.properties.applicationId;
const U32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });
/** Cumulative counters outgrow 32 bits within days at full load; JSON numbers stay exact to 2^53. */
const Counter = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** ISO 8601 UTC, as `Date#toISOString` writes it. */
const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$' });

/** Request statistics of one application, as `slmgr /dlv` prints them on a KMS host. */
export const LedgerRequestStatsSchema = Type.Object({
  total: Counter,
  /** Refused requests. */
  failed: Counter,
  unlicensed: Counter,
  licensed: Counter,
  initialGrace: Counter,
  ootGrace: Counter,
  nonGenuineGrace: Counter,
  notification: Counter,
  extendedGrace: Counter,
});
export type LedgerRequestStatsDto = Static<typeof LedgerRequestStatsSchema>;

/** One count group (application) of the ledger. */
export const LedgerApplicationStatusSchema = Type.Object({
  applicationId: Guid,
  name: Type.String({ maxLength: 100 }),
  /** Distinct CMIDs with an accepted request in the last 30 days, at the time of the query. */
  activeClients: U32,
  /** What a request would be answered now: min(activeClients, 2 x highestNPolicy). */
  reportedCount: U32,
  /** Highest / lowest N-policy of accepted requests; 0 before the first. */
  highestNPolicy: U32,
  lowestNPolicy: U32,
  /** `below`: nobody activates; `partial`: only clients with a lower N-policy; `met`: everyone. */
  thresholdStatus: Type.Union([Type.Literal('below'), Type.Literal('partial'), Type.Literal('met')]),
  /** Recording time of the group's last request; null when it has none. */
  lastRequestAt: Type.Union([Timestamp, Type.Null()]),
  requests: LedgerRequestStatsSchema,
});
export type LedgerApplicationStatusDto = Static<typeof LedgerApplicationStatusSchema>;

/** Query `kmsgrid.ledger.v1.status`: no parameters. */
export const LedgerStatusRequestSchema = Type.Object({});
export type LedgerStatusRequest = Static<typeof LedgerStatusRequestSchema>;

export const LedgerStatusReplySchema = Type.Object({
  /** The time the window was evaluated at. */
  at: Timestamp,
  applications: Type.Array(LedgerApplicationStatusSchema),
});
export type LedgerStatusReply = Static<typeof LedgerStatusReplySchema>;

/** Query `kmsgrid.ledger.v1.clients`: filters are ANDed; newest `lastSeenAt` first. */
export const LedgerClientsRequestSchema = Type.Object({
  applicationId: Type.Optional(Guid),
  /** Prefix of the workstation name, case-insensitive. */
  workstation: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Exact client address as the ingress saw it. */
  address: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  licenseStatus: Type.Optional(U32),
  /** Only clients last seen at or after this time. */
  seenSince: Type.Optional(Timestamp),
  /** Page size, default 100. */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LEDGER_CLIENTS_MAX_LIMIT })),
  /** `nextCursor` of the previous page (opaque). */
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
});
export type LedgerClientsRequest = Static<typeof LedgerClientsRequestSchema>;

/** A client (CMID) of the audit ledger with the facts of its last request. */
export const LedgerClientSchema = Type.Object({
  applicationId: Guid,
  cmid: Guid,
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  /** Last accepted request; null while every request was refused. */
  lastCountedAt: Type.Union([Timestamp, Type.Null()]),
  workstationName: KmsRequestSchema.properties.workstationName,
  clientAddress: RequestOriginSchema.properties.clientAddress,
  kmsCountedId: Guid,
  skuId: Guid,
  licenseStatus: U32,
  /** Minutes left in the license state, as the client reported (BindingExpiration). */
  bindingExpirationMinutes: U32,
  isVirtualMachine: Type.Boolean(),
  previousCmid: Guid,
  nPolicy: U32,
  /** "major.minor" of the KMS protocol. */
  protocolVersion: Type.String({ maxLength: 11 }),
  rpcSyntax: RequestOriginSchema.properties.rpcSyntax,
  requestCount: Counter,
  refusedCount: Counter,
  lastOutcome: Type.Union([Type.Literal('counted'), Type.Literal('renewed'), Type.Literal('refused')]),
  /** HRESULT of the last refusal, 0 when the last request was accepted. */
  lastHresult: U32,
});
export type LedgerClientDto = Static<typeof LedgerClientSchema>;

export const LedgerClientsReplySchema = Type.Object({
  clients: Type.Array(LedgerClientSchema),
  /** Present when more clients may follow: pass it as `cursor`. */
  nextCursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
});
export type LedgerClientsReply = Static<typeof LedgerClientsReplySchema>;

export const ledgerStatusRequestCodec = jsonCodec('LedgerStatusRequest', LedgerStatusRequestSchema);
export const ledgerStatusReplyCodec = jsonCodec('LedgerStatusReply', LedgerStatusReplySchema);
export const ledgerClientsRequestCodec = jsonCodec('LedgerClientsRequest', LedgerClientsRequestSchema);
export const ledgerClientsReplyCodec = jsonCodec('LedgerClientsReply', LedgerClientsReplySchema);
