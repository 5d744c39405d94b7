import { Type, type Static } from '@sinclair/typebox';
import { KmsRequestSchema, ProtocolVersionSchema, RequestOriginSchema, jsonCodec } from '@kmsgrid/contracts';

const U32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });
const Guid = KmsRequestSchema.properties.applicationId;
/** ISO 8601 UTC with milliseconds, as `Date#toISOString` writes it. */
const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' });

/** What every count group event says about the group right after the request. */
const GroupFacts = {
  applicationId: Guid,
  /** When the ledger recorded the request (never earlier than the previous event of the stream). */
  recordedAt: Timestamp,
  origin: RequestOriginSchema,
  version: ProtocolVersionSchema,
  /** Distinct CMIDs in the 30-day window after this request. */
  activeClients: U32,
  /** The count answered: min(activeClients, 2 x highestNPolicy). */
  reportedCount: U32,
  /** Highest N-policy of the accepted requests of this application so far. */
  highestNPolicy: U32,
};

const CountedData = Type.Object({ ...GroupFacts, request: KmsRequestSchema, hostKeyId: Type.String({ maxLength: 100 }) });

/** An accepted request of a CMID not in the window (new, or back after 30 days): the count grew. */
export const ClientCountedSchema = Type.Object({ type: Type.Literal('ClientCounted'), data: CountedData });
/** An accepted request of a CMID already in the window: its last-seen time moves, the count does not grow. */
export const ClientRenewedSchema = Type.Object({ type: Type.Literal('ClientRenewed'), data: CountedData });
/** A refused request: recorded for the audit ledger and the statistics, never counted. */
export const ActivationRefusedSchema = Type.Object({
  type: Type.Literal('ActivationRefused'),
  data: Type.Object({ ...GroupFacts, request: Type.Optional(KmsRequestSchema), hresult: U32, reason: Type.String({ maxLength: 200 }) }),
});
/** Any event of a count group stream. */
export const CountGroupEventSchema = Type.Union([ClientCountedSchema, ClientRenewedSchema, ActivationRefusedSchema]);

export type ClientCountedData = Readonly<Static<typeof CountedData>>;
export type ActivationRefusedData = Readonly<Static<typeof ActivationRefusedSchema>['data']>;
export type ClientCounted = Readonly<{ type: 'ClientCounted'; data: ClientCountedData }>;
export type ClientRenewed = Readonly<{ type: 'ClientRenewed'; data: ClientCountedData }>;
export type ActivationRefused = Readonly<{ type: 'ActivationRefused'; data: ActivationRefusedData }>;
export type CountGroupEvent = ClientCounted | ClientRenewed | ActivationRefused;
export type CountGroupEventType = CountGroupEvent['type'];

/** All event types of a count group, e.g. to subscribe to `kmsgrid.events.countgroup.<type>`. */
export const COUNT_GROUP_EVENT_TYPES: readonly CountGroupEventType[] = ['ClientCounted', 'ClientRenewed', 'ActivationRefused'];

/**
 * Runtime check of a count group event (`{ type, data }`) at a boundary: when
 * reading the event store or a JetStream message.
 *
 * @example const e = countGroupEventCodec.check({ type: row.type, data: row.data });
 */
export const countGroupEventCodec = jsonCodec('CountGroupEvent', CountGroupEventSchema);
