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
  ACTIVATION_RPCS,
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
export {
  LEDGER_QUERY_SUBJECTS,
  LEDGER_QUERY_QUEUE,
  LEDGER_CLIENTS_MAX_LIMIT,
  LedgerRequestStatsSchema,
  LedgerApplicationStatusSchema,
  LedgerStatusRequestSchema,
  LedgerStatusReplySchema,
  LedgerClientsRequestSchema,
  LedgerClientSchema,
  LedgerClientsReplySchema,
  ledgerStatusRequestCodec,
  ledgerStatusReplyCodec,
  ledgerClientsRequestCodec,
  ledgerClientsReplyCodec,
} from './ledger-query.contract.js';
export type {
  LedgerRequestStatsDto,
  LedgerApplicationStatusDto,
  LedgerStatusRequest,
  LedgerStatusReply,
  LedgerClientsRequest,
  LedgerClientDto,
  LedgerClientsReply,
} from './ledger-query.contract.js';
export {
  POLICY_QUERY_SUBJECTS,
  POLICY_QUERY_QUEUE,
  IdentitySourceSchema,
  PolicyHostKeyStatusSchema,
  PolicyStatusRequestSchema,
  PolicyStatusReplySchema,
  policyStatusRequestCodec,
  policyStatusReplyCodec,
} from './policy-query.contract.js';
export type {
  IdentitySourceDto,
  PolicyHostKeyStatusDto,
  PolicyStatusRequest,
  PolicyStatusReply,
} from './policy-query.contract.js';
export {
  DNS_QUERY_SUBJECTS,
  DNS_QUERY_QUEUE,
  DnsDomainStatusViewSchema,
  DnsStatusRequestSchema,
  DnsStatusReplySchema,
  dnsStatusRequestCodec,
  dnsStatusReplyCodec,
} from './dns-query.contract.js';
export type { DnsDomainStatusView, DnsStatusRequest, DnsStatusReply } from './dns-query.contract.js';
