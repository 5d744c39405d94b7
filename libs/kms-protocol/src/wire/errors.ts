/**
 * Why a byte sequence was refused. Every decoder in this library throws only
 * {@link KmsProtocolError}; callers map the code to an RPC reject, fault or a
 * closed connection.
 */
export type ProtocolErrorCode =
  | 'TRUNCATED' // fewer bytes than the structure needs
  | 'FRAG_LENGTH' // frag_length smaller than the header or larger than allowed
  | 'PDU_TYPE' // unknown or unexpected PDU type
  | 'RPC_VERSION' // rpc_vers / rpc_vers_minor not 5.0
  | 'DREP' // data representation other than little-endian ASCII IEEE
  | 'FRAGMENTED' // multi-fragment PDUs are not used by KMS
  | 'AUTH' // auth_length set: KMS never authenticates
  | 'STUB_LENGTH' // NDR length/size_is disagree or do not fit the stub
  | 'NDR' // malformed NDR (pointer, conformance, alignment)
  | 'KMS_VERSION' // KMS protocol version not 4, 5 or 6
  | 'KMS_LENGTH' // KMS message of the wrong size for its version
  | 'BAD_MAC' // v4 AES-CMAC mismatch
  | 'BAD_HMAC' // v6 HMAC mismatch
  | 'BAD_HASH' // v5/v6 SHA-256 of the randoms mismatch
  | 'BAD_PADDING' // PKCS#7 padding after decryption is wrong
  | 'BAD_VALUE'; // a field holds a value the protocol does not allow

/** A typed decoding error naming the reason and the byte offset where it was found. */
export class KmsProtocolError extends Error {
  override readonly name = 'KmsProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    readonly reason: string,
    /** Offset in the buffer that was being decoded (the PDU, stub or KMS message). */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`${code} at offset ${offset}: ${reason}`, options);
  }
}

export const isKmsProtocolError = (e: unknown): e is KmsProtocolError => e instanceof KmsProtocolError;
