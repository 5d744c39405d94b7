export {
  BindNakReason,
  BtfnFeatures,
  ContextResult,
  KMS_INTERFACE,
  NDR32_SYNTAX,
  NDR64_SYNTAX,
  NIL_SYNTAX,
  NcaStatus,
  PduType,
  PfcFlags,
  ProviderReason,
  RPC_HEADER_LENGTH,
  btfnFeaturesOf,
  btfnSyntax,
} from './constants.js';
export type { NdrSyntax, PduKind, SyntaxId } from './constants.js';
export { encodingLength, parsePdu, parseRpcHeader, serializePdu } from './pdu.codec.js';
export type {
  AlterContextPdu,
  AlterContextRespPdu,
  BindAckPdu,
  BindNakPdu,
  BindPdu,
  ContextResultItem,
  FaultPdu,
  PresentationContext,
  RequestPdu,
  ResponsePdu,
  RpcHeader,
  RpcPdu,
} from './pdu.types.js';
export { RpcFramer } from './framer.js';
export { negotiateContexts } from './negotiation.js';
export type { NegotiationOptions, NegotiationOutcome } from './negotiation.js';
export { RpcServerConnection } from './server-connection.js';
export type { RpcCallResult, RpcServerEvent, RpcServerOptions } from './server-connection.js';
export { RpcClientConnection } from './client-connection.js';
export type { RpcClientEvent, RpcClientOptions } from './client-connection.js';
