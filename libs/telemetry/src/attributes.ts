/**
 * Every span attribute name kmsgrid writes, in one place, so dashboards and
 * queries have a single source of truth. Generic keys follow the OpenTelemetry
 * semantic conventions (messaging, network, error); KMS keys use the `kms.`
 * prefix, kmsgrid plumbing uses `kmsgrid.`.
 *
 * @example span.setAttribute(ATTR.hresult, 0xc004f042)
 */
export const ATTR = {
  // KMS request facts (libs/kms-protocol, activation-policy, cmid-ledger)
  kmsVersion: 'kms.protocol.version',
  cmid: 'kms.client.cmid',
  applicationId: 'kms.application.id',
  skuId: 'kms.sku.id',
  kmsCountedId: 'kms.counted_id',
  workstation: 'kms.client.workstation',
  licenseStatus: 'kms.client.license_status',
  isVirtualMachine: 'kms.client.is_vm',
  requiredClientCount: 'kms.client.required_count',
  currentCount: 'kms.count.current',
  hresult: 'kms.hresult',
  epid: 'kms.host.epid',
  // DCE/RPC framing (kms-ingress)
  rpcCallId: 'rpc.dce.call_id',
  rpcPacketType: 'rpc.dce.packet_type',
  rpcContextId: 'rpc.dce.context_id',
  rpcTransferSyntax: 'rpc.dce.transfer_syntax',
  rpcOpnum: 'rpc.dce.opnum',
  // kmsgrid plumbing
  correlationId: 'kmsgrid.correlation_id',
  eventType: 'kmsgrid.event.type',
  eventId: 'kmsgrid.event.id',
  streamId: 'kmsgrid.event.stream_id',
  streamVersion: 'kmsgrid.event.stream_version',
  serviceErrorCode: 'kmsgrid.service_error.code',
  // OpenTelemetry semantic conventions (messaging, network, error)
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  messagingBodySize: 'messaging.message.body.size',
  networkPeerAddress: 'network.peer.address',
  networkPeerPort: 'network.peer.port',
  serverPort: 'server.port',
  errorType: 'error.type',
} as const;

/** Attribute key type: one of the values of {@link ATTR}. */
export type AttributeName = (typeof ATTR)[keyof typeof ATTR];

/**
 * Span names. Messaging spans follow the semantic-convention shape
 * `{operation} {destination}`; see {@link messagingSpanName}.
 */
export const SPAN = {
  rpcConnection: 'kms.rpc.connection',
  rpcBind: 'kms.rpc.bind',
  activation: 'kms.activation',
  policyDecide: 'kms.policy.decide',
  ledgerRecord: 'kms.ledger.record',
  eventAppend: 'kmsgrid.event.append',
  outboxRelay: 'kmsgrid.outbox.relay',
  dnsRegister: 'kmsgrid.dns.register',
} as const;

/** Messaging operation kinds used in span names and `messaging.operation.type`. */
export type MessagingOperation = 'send' | 'process' | 'publish' | 'receive';

/** `send kmsgrid.policy.v1.decide` (semantic conventions: `{operation} {destination}`). */
export function messagingSpanName(operation: MessagingOperation, subject: string): string {
  return `${operation} ${subject}`;
}
