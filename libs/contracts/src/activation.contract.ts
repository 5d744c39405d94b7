import { Type, type Static } from '@sinclair/typebox';
import { jsonCodec } from './schema.js';
import { SUBJECTS } from './subjects.js';

const GuidString = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const U32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });
/** A 64-bit unsigned value as a decimal string (FILETIME). */
const U64String = Type.String({ pattern: '^[0-9]{1,20}$' });

export const ProtocolVersionSchema = Type.Object({ major: Type.Integer({ minimum: 0, maximum: 0xffff }), minor: Type.Integer({ minimum: 0, maximum: 0xffff }) });
export type ProtocolVersionDto = Static<typeof ProtocolVersionSchema>;

/** The decoded KMS request body (the fields of REQUEST, kms-facts.md section 7). */
export const KmsRequestSchema = Type.Object({
  vmInfo: U32,
  licenseStatus: U32,
  bindingExpiration: U32,
  applicationId: GuidString,
  skuId: GuidString,
  kmsCountedId: GuidString,
  cmid: GuidString,
  previousCmid: GuidString,
  nPolicy: U32,
  clientTime: U64String,
  workstationName: Type.String({ maxLength: 64 }),
});
export type KmsRequestDto = Static<typeof KmsRequestSchema>;

/** Where and how a request arrived: kept in the ledger for every request. */
export const RequestOriginSchema = Type.Object({
  requestId: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
  receivedAt: Type.String({ minLength: 20, maxLength: 40 }),
  clientAddress: Type.String({ maxLength: 64 }),
  ingressId: Type.String({ maxLength: 128 }),
  rpcSyntax: Type.Union([Type.Literal('ndr32'), Type.Literal('ndr64')]),
});
export type RequestOriginDto = Static<typeof RequestOriginSchema>;

/**
 * kms-ingress -> activation-policy. `request` is absent when the body could
 * not be decoded because its protocol version is unknown (the policy answers
 * 0x8007000D and the ledger records it).
 */
export const PolicyDecideRequestSchema = Type.Object({
  origin: RequestOriginSchema,
  version: ProtocolVersionSchema,
  request: Type.Optional(KmsRequestSchema),
});
export type PolicyDecideRequest = Static<typeof PolicyDecideRequestSchema>;

export const ActivateReplySchema = Type.Object({
  kind: Type.Literal('activate'),
  epid: Type.String({ minLength: 1, maxLength: 63 }),
  /** v6 host hardware id, 16 hex digits. */
  hwid: Type.String({ pattern: '^[0-9A-Fa-f]{16}$' }),
  count: U32,
  activationInterval: U32,
  renewalInterval: U32,
});
export const RefuseReplySchema = Type.Object({
  kind: Type.Literal('refuse'),
  hresult: U32,
  reason: Type.String({ maxLength: 200 }),
});
/** activation-policy -> kms-ingress. */
export const PolicyDecideReplySchema = Type.Union([ActivateReplySchema, RefuseReplySchema]);
export type PolicyDecideReply = Static<typeof PolicyDecideReplySchema>;

/** activation-policy -> cmid-ledger: record one request; count it when accepted. */
export const LedgerRecordRequestSchema = Type.Object({
  origin: RequestOriginSchema,
  version: ProtocolVersionSchema,
  request: Type.Optional(KmsRequestSchema),
  decision: Type.Union([
    Type.Object({ kind: Type.Literal('count'), hostKeyId: Type.String({ maxLength: 100 }) }),
    Type.Object({ kind: Type.Literal('refused'), hresult: U32, reason: Type.String({ maxLength: 200 }) }),
  ]),
});
export type LedgerRecordRequest = Static<typeof LedgerRecordRequestSchema>;

/** cmid-ledger -> activation-policy, sent after the request is durably recorded. */
export const LedgerRecordReplySchema = Type.Object({
  /** The count to report: distinct CMIDs of the last 30 days, capped at 2 x the highest N-policy seen. */
  count: U32,
  newClient: Type.Boolean(),
});
export type LedgerRecordReply = Static<typeof LedgerRecordReplySchema>;

export const policyDecideRequestCodec = jsonCodec('PolicyDecideRequest', PolicyDecideRequestSchema);
export const policyDecideReplyCodec = jsonCodec('PolicyDecideReply', PolicyDecideReplySchema);
export const ledgerRecordRequestCodec = jsonCodec('LedgerRecordRequest', LedgerRecordRequestSchema);
export const ledgerRecordReplyCodec = jsonCodec('LedgerRecordReply', LedgerRecordReplySchema);

/**
 * The request/reply endpoints, as plain data (subject + codecs) that
 * @kmsgrid/transport's `defineRpc`/`createRpcClient`/`serveRpc` accept, so
 * the ingress, policy and ledger share one definition without this library
 * depending on a transport.
 */
export const ACTIVATION_RPCS = {
  policyDecide: { subject: SUBJECTS.policyDecide, request: policyDecideRequestCodec, reply: policyDecideReplyCodec, timeoutMs: 5000 },
  ledgerRecord: { subject: SUBJECTS.ledgerRecord, request: ledgerRecordRequestCodec, reply: ledgerRecordReplyCodec, timeoutMs: 5000 },
} as const;
