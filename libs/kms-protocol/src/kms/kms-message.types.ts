import type { Guid } from '../wire/guid.js';

/** KMS message formats: v4 (CMAC), v5 (AES-128-CBC), v6 (AES with altered key schedule + HMAC). */
export type KmsProtocolVersion = 4 | 5 | 6;

/** The 236-byte KMS request base (vlmcsd `REQUEST`), as sent by a KMS client. */
export interface KmsRequest {
  readonly kind: 'kms-request';
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** 0 = bare metal, 1 = virtual machine. */
  readonly vmInfo: number;
  /** 0 unlicensed, 1 licensed, 2 OOB grace, 3 OOT grace, 4 non-genuine grace, 5 notification, 6 extended grace. */
  readonly licenseStatus: number;
  /** Minutes left in the current license state. */
  readonly bindingExpiration: number;
  readonly applicationId: Guid;
  /** SKU (activation) ID. */
  readonly skuId: Guid;
  /** KMS counted ID: what the host grants or refuses. */
  readonly kmsCountedId: Guid;
  /** Client machine ID. */
  readonly cmid: Guid;
  /** Minimum count the client needs (25 client OS, 5 server / Office). */
  readonly nPolicy: number;
  /** FILETIME (100 ns since 1601-01-01 UTC). */
  readonly clientTime: bigint;
  readonly previousCmid: Guid;
  /** FQDN or NetBIOS name, at most 64 UTF-16 code units. */
  readonly workstationName: string;
}

/** The KMS response base (vlmcsd `RESPONSE`) plus the v6 host hardware ID. */
export interface KmsResponse {
  readonly kind: 'kms-response';
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** Host ePID, at most 63 characters (sent UTF-16LE with a terminating NUL). */
  readonly epid: string;
  /** Echo of the request CMID. */
  readonly cmid: Guid;
  /** Echo of the request ClientTime (FILETIME). */
  readonly clientTime: bigint;
  /** Current count of the host for the client's application. */
  readonly count: number;
  /** Minutes until an unactivated client retries. */
  readonly activationInterval: number;
  /** Minutes until an activated client renews. */
  readonly renewalInterval: number;
  /** v6 only: 8-byte host hardware ID. */
  readonly hwid?: Uint8Array;
}

/** What the host keeps from a decoded request to build the response. */
export interface KmsRequestContext {
  readonly kind: 'kms-request-context';
  /** Message format of the request (and of the response to build). */
  readonly version: KmsProtocolVersion;
  /**
   * v5/v6: the request's IV block after decryption (AES-decrypt of the wire IV, the
   * "salt"). The response echoes it (v6 XoredIVs; v5 response IV) and XORs it into
   * RandomXoredIVs.
   */
  readonly decryptedRequestIv?: Uint8Array;
}

/** Result of {@link decodeKmsRequest}. */
export interface DecodedKmsRequest {
  readonly request: KmsRequest;
  readonly context: KmsRequestContext;
}

/**
 * Random parts of a response (host side). Omitted parts come from node's CSPRNG;
 * tests inject the captured ones.
 */
export interface KmsResponseRandom {
  /**
   * v6 only: the response IV block before encryption (vlmcsd: 16 random bytes; the
   * wire carries its AES encryption). v5 must reuse the request IV (Microsoft clients
   * check this) and v4 has none, so it is ignored there.
   */
  readonly responseIv?: Uint8Array;
  /**
   * v5/v6: 16 random bytes; the response carries their SHA-256 (Hash) and their XOR
   * with the decrypted request IV (RandomXoredIVs). Ignored for v4.
   */
  readonly randomSalt?: Uint8Array;
}

/** Random parts of a request (client side). */
export interface KmsRequestRandom {
  /** v5/v6: the 16-byte CBC IV sent in clear in the request (the "salt"). Ignored for v4. */
  readonly iv?: Uint8Array;
}

/** What a client keeps from the request it sent to verify the response. */
export interface KmsClientContext {
  readonly kind: 'kms-client-context';
  /** Message format of the request. */
  readonly version: KmsProtocolVersion;
  /** Version fields sent (may exceed 6 for a v6-format probe, as `vlmcs -K 7.0` does). */
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly cmid: Guid;
  readonly clientTime: bigint;
  /** v5/v6: AES-decrypt of the request IV, which the response must echo. */
  readonly decryptedRequestIv?: Uint8Array;
}

/** One client-side verification, as `vlmcs` reports them. */
export interface KmsCheck {
  readonly name: KmsCheckName;
  readonly ok: boolean;
  readonly detail?: string;
}

export type KmsCheckName =
  | 'mac' // v4 CMAC
  | 'decrypt' // v5/v6 decryption and PKCS#7 padding
  | 'hash' // v5/v6 SHA-256 of the random salt
  | 'hmac' // v6 HMAC
  | 'version' // response versions equal the request's
  | 'cmid' // CMID echoed
  | 'client-time' // ClientTime echoed
  | 'ivs' // v5: response IV = request IV; v6: XoredIVs = decrypted request IV
  | 'iv-not-suspicious' // v6: response IV differs from request IV (else emulator)
  | 'pid-size' // PIDSize even and at most 128 bytes
  | 'pid-terminator' // ePID NUL-terminated exactly at PIDSize, no NUL before
  | 'epid-format'; // ePID matches PPPPP-GGGGG-KKK-KKKKKK-03-LCID-BUILD.0000-DDDYYYY

/** Result of {@link decodeKmsResponse}: the response and every check (cryptographic failures throw instead). */
export interface VerifiedKmsResponse {
  readonly response: KmsResponse;
  readonly checks: readonly KmsCheck[];
}
