// Adapter over @kmsgrid/kms-protocol: the one module of this tool that imports the codec.
// TEMPORARY: deep imports of the sub-barrels until libs/kms-protocol/src/index.ts re-exports them.
/* eslint-disable @nx/enforce-module-boundaries */
export { isGuid, parseGuid, NIL_GUID, type Guid } from '../../../libs/kms-protocol/src/wire/guid.js';
export { fileTimeFromDate, fileTimeToDate } from '../../../libs/kms-protocol/src/wire/filetime.js';
export { KmsProtocolError, isKmsProtocolError } from '../../../libs/kms-protocol/src/wire/errors.js';
export { toHex } from '../../../libs/kms-protocol/src/wire/hex.js';
export {
  decodeKmsRequest,
  decodeKmsResponse,
  encodeKmsRequest,
  encodeKmsResponse,
  type KmsCheck,
  type KmsClientContext,
  type KmsRequest,
  type KmsResponse,
} from '../../../libs/kms-protocol/src/kms/index.js';
export {
  ContextResult,
  NDR32_SYNTAX,
  NDR64_SYNTAX,
  NIL_SYNTAX,
  NcaStatus,
  PfcFlags,
  ProviderReason,
  RpcClientConnection,
  RpcFramer,
  RpcServerConnection,
  parsePdu,
  type AlterContextRespPdu,
  type BindAckPdu,
  type NdrSyntax,
  type ResponsePdu,
  type RpcClientEvent,
  type RpcPdu,
} from '../../../libs/kms-protocol/src/rpc/index.js';
export { decodeResponseStub, encodeErrorStub, encodeResponseStub, type ResponseStubResult } from '../../../libs/kms-protocol/src/ndr/index.js';
