export { ContractError, jsonCodec } from './schema.js';
export type { Codec } from './schema.js';
export { SUBJECTS, QUEUES, EVENTS_STREAM, HEADERS, eventSubject } from './subjects.js';
export {
  ProtocolVersionSchema,
  KmsRequestSchema,
  RequestOriginSchema,
  PolicyDecideRequestSchema,
  PolicyDecideReplySchema,
  ActivateReplySchema,
  RefuseReplySchema,
  LedgerRecordRequestSchema,
  LedgerRecordReplySchema,
  policyDecideRequestCodec,
  policyDecideReplyCodec,
  ledgerRecordRequestCodec,
  ledgerRecordReplyCodec,
} from './activation.contract.js';
export type {
  ProtocolVersionDto,
  KmsRequestDto,
  RequestOriginDto,
  PolicyDecideRequest,
  PolicyDecideReply,
  LedgerRecordRequest,
  LedgerRecordReply,
} from './activation.contract.js';
