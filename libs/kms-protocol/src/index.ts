/**
 * @kmsgrid/kms-protocol: the KMS wire protocol, pure (no sockets, no I/O).
 * Layers: RPC framer and PDU codecs (rpc), NDR32/NDR64 stubs (ndr), KMS v4/v5/v6
 * messages (kms) over their crypto (crypto, internal), cursor/GUID helpers (wire).
 */
// wire
export { KmsProtocolError, isKmsProtocolError } from './wire/errors.js';
export type { ProtocolErrorCode } from './wire/errors.js';
export { Reader, Writer } from './wire/cursor.js';
export { NIL_GUID, parseGuid, isGuid, guidFromBytes, guidToBytes } from './wire/guid.js';
export type { Brand, Guid } from './wire/guid.js';
export { fileTimeFromDate, fileTimeToDate } from './wire/filetime.js';
export type { FileTime } from './wire/filetime.js';
export { toHex, fromHex } from './wire/hex.js';
// rpc + ndr
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
  encodingLength,
  parsePdu,
  parseRpcHeader,
  serializePdu,
  RpcFramer,
  negotiateContexts,
  RpcServerConnection,
  RpcClientConnection,
} from './rpc/index.js';
export type {
  NdrSyntax,
  PduKind,
  SyntaxId,
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
  NegotiationOptions,
  NegotiationOutcome,
  RpcCallResult,
  RpcServerEvent,
  RpcServerOptions,
  RpcClientEvent,
  RpcClientOptions,
} from './rpc/index.js';
export {
  NDR_FIRST_REFERENT_ID,
  decodeRequestStub,
  decodeResponseStub,
  encodeErrorStub,
  encodeRequestStub,
  encodeResponseStub,
} from './ndr/index.js';
export type { ResponseStubResult, StubSyntax } from './ndr/index.js';
// kms
export {
  decodeKmsRequest,
  encodeKmsRequest,
  peekKmsVersion,
  decodeKmsResponse,
  encodeKmsResponse,
  isValidEpid,
  KMS_REQUEST_BASE_SIZE,
  KMS_V4_REQUEST_SIZE,
  KMS_V6_REQUEST_SIZE,
  KMS_MAX_PID_SIZE,
} from './kms/index.js';
export type {
  DecodedKmsRequest,
  KmsCheck,
  KmsCheckName,
  KmsClientContext,
  KmsProtocolVersion,
  KmsRequest,
  KmsRequestContext,
  KmsRequestRandom,
  KmsResponse,
  KmsResponseRandom,
  VerifiedKmsResponse,
} from './kms/index.js';
