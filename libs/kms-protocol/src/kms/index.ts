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
} from './kms-message.types.js';
export {
  KMS_REQUEST_BASE_SIZE,
  KMS_V4_REQUEST_SIZE,
  KMS_V6_REQUEST_SIZE,
  decodeKmsRequest,
  encodeKmsRequest,
  peekKmsVersion,
} from './kms-request.codec.js';
export { KMS_MAX_PID_SIZE, decodeKmsResponse, encodeKmsResponse } from './kms-response.codec.js';
export { isValidEpid } from './epid.js';
