export {
  NDR_FIRST_REFERENT_ID,
  decodeRequestStub,
  decodeResponseStub,
  encodeErrorStub,
  encodeRequestStub,
  encodeResponseStub,
} from './kms-stub.codec.js';
export type { ResponseStubResult, StubSyntax } from './kms-stub.codec.js';
