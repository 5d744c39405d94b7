import { AES_BLOCK, bytesEqual, kmsCipherFor, kmsV4Mac, randomBlock } from '../crypto/kms-crypto.js';
import { Reader } from '../wire/cursor.js';
import { KmsProtocolError } from '../wire/errors.js';
import { guidFromBytes, guidToBytes } from '../wire/guid.js';
import { checkBytes, checkFileTime, checkGuid, checkUint, expectLength, formatOfMajor, readUtf16z, writeUtf16 } from './kms-fields.js';
import type {
  DecodedKmsRequest,
  KmsClientContext,
  KmsProtocolVersion,
  KmsRequest,
  KmsRequestRandom,
} from './kms-message.types.js';

/** Size of the request base (vlmcsd `REQUEST`). */
export const KMS_REQUEST_BASE_SIZE = 236;
/** v4 request: base + 16-byte CMAC. */
export const KMS_V4_REQUEST_SIZE = KMS_REQUEST_BASE_SIZE + 16;
/** v5/v6 request: version + IV + AES-CBC(base + 4 pad bytes). */
export const KMS_V6_REQUEST_SIZE = 4 + AES_BLOCK + KMS_REQUEST_BASE_SIZE + 4;

const WORKSTATION_UNITS = 64;
const REQUEST_PAD = 4; // 236 -> 240 bytes: PKCS#7 pad of 4 x 0x04
const V6_PLAIN_SIZE = AES_BLOCK + KMS_REQUEST_BASE_SIZE + REQUEST_PAD;

/**
 * Reads the KMS version (minor u16, major u16) from the first 4 bytes of a request
 * or response. Cheap: lets a host answer 0x8007000D to versions it cannot decode.
 */
export function peekKmsVersion(bytes: Uint8Array): { major: number; minor: number } {
  const r = new Reader(bytes);
  const minor = r.u16le('Version.minor');
  const major = r.u16le('Version.major');
  return { major, minor };
}

/** Decodes the 236-byte base at `r`'s position. */
function readRequestBase(r: Reader): KmsRequest {
  const minorVersion = r.u16le('Version.minor');
  const majorVersion = r.u16le('Version.major');
  const vmInfo = r.u32le('VMInfo');
  const licenseStatus = r.u32le('LicenseStatus');
  const bindingExpiration = r.u32le('BindingExpiration');
  const applicationId = guidFromBytes(r.bytes(16, 'AppID'));
  const skuId = guidFromBytes(r.bytes(16, 'ActID'));
  const kmsCountedId = guidFromBytes(r.bytes(16, 'KMSID'));
  const cmid = guidFromBytes(r.bytes(16, 'CMID'));
  const nPolicy = r.u32le('N_Policy');
  const clientTime = r.u64le('ClientTime');
  const previousCmid = guidFromBytes(r.bytes(16, 'CMID_prev'));
  const workstationName = readUtf16z(r, WORKSTATION_UNITS, 'WorkstationName').text;
  return {
    kind: 'kms-request',
    majorVersion,
    minorVersion,
    vmInfo,
    licenseStatus,
    bindingExpiration,
    applicationId,
    skuId,
    kmsCountedId,
    cmid,
    nPolicy,
    clientTime,
    previousCmid,
    workstationName,
  };
}

/** Encodes the request base into `out` at `offset` (236 bytes, zero-filled beforehand). */
function writeRequestBase(q: KmsRequest, out: Uint8Array, offset: number): void {
  checkUint(q.majorVersion, 16, 'majorVersion');
  checkUint(q.minorVersion, 16, 'minorVersion');
  checkUint(q.vmInfo, 32, 'vmInfo');
  checkUint(q.licenseStatus, 32, 'licenseStatus');
  checkUint(q.bindingExpiration, 32, 'bindingExpiration');
  checkUint(q.nPolicy, 32, 'nPolicy');
  checkGuid(q.applicationId, 'applicationId');
  checkGuid(q.skuId, 'skuId');
  checkGuid(q.kmsCountedId, 'kmsCountedId');
  checkGuid(q.cmid, 'cmid');
  checkGuid(q.previousCmid, 'previousCmid');
  checkFileTime(q.clientTime, 'clientTime');
  if (typeof q.workstationName !== 'string' || q.workstationName.length > WORKSTATION_UNITS || q.workstationName.includes('\0')) {
    throw new KmsProtocolError('BAD_VALUE', `workstationName must be at most ${WORKSTATION_UNITS} UTF-16 units without NUL`, 0);
  }
  const v = new DataView(out.buffer, out.byteOffset + offset, KMS_REQUEST_BASE_SIZE);
  v.setUint16(0, q.minorVersion, true);
  v.setUint16(2, q.majorVersion, true);
  v.setUint32(4, q.vmInfo, true);
  v.setUint32(8, q.licenseStatus, true);
  v.setUint32(12, q.bindingExpiration, true);
  guidToBytes(q.applicationId, out, offset + 16);
  guidToBytes(q.skuId, out, offset + 32);
  guidToBytes(q.kmsCountedId, out, offset + 48);
  guidToBytes(q.cmid, out, offset + 64);
  v.setUint32(80, q.nPolicy, true);
  v.setBigUint64(84, q.clientTime, true);
  guidToBytes(q.previousCmid, out, offset + 92);
  writeUtf16(q.workstationName, out, offset + 108);
}

/**
 * Host side: decodes a KMS request. v4: checks the CMAC; v5/v6: decrypts, checks
 * the pad bytes and that the encrypted version equals the clear one. Throws
 * {@link KmsProtocolError} (KMS_VERSION for majors other than 4/5/6, KMS_LENGTH,
 * BAD_MAC, BAD_PADDING, BAD_VALUE, TRUNCATED) and nothing else.
 *
 * @example const { request, context } = decodeKmsRequest(payload);
 */
export function decodeKmsRequest(bytes: Uint8Array): DecodedKmsRequest {
  const { major, minor } = peekKmsVersion(bytes);
  const version = formatOfMajor(major);
  if (version === undefined) {
    throw new KmsProtocolError('KMS_VERSION', `KMS protocol ${major}.${minor} is not supported`, 2);
  }
  if (version === 4) {
    expectLength(bytes, KMS_V4_REQUEST_SIZE, 'KMS v4 request');
    const mac = kmsV4Mac(bytes.subarray(0, KMS_REQUEST_BASE_SIZE));
    if (!bytesEqual(mac, bytes.subarray(KMS_REQUEST_BASE_SIZE))) {
      throw new KmsProtocolError('BAD_MAC', 'v4 request CMAC does not match', KMS_REQUEST_BASE_SIZE);
    }
    return { request: readRequestBase(new Reader(bytes)), context: { kind: 'kms-request-context', version } };
  }
  expectLength(bytes, KMS_V6_REQUEST_SIZE, `KMS v${version} request`);
  // Decrypting from the IV field with a zero IV yields the "decrypted IV block"
  // first (what the response must echo), then the base (vlmcsd CreateResponseV6).
  const plain = kmsCipherFor(version).decrypt(bytes.subarray(4));
  for (let i = V6_PLAIN_SIZE - REQUEST_PAD; i < V6_PLAIN_SIZE; i++) {
    if (plain[i] !== REQUEST_PAD) {
      throw new KmsProtocolError('BAD_PADDING', `request pad byte is 0x${plain[i]!.toString(16)}, not 0x04`, 4 + i);
    }
  }
  const request = readRequestBase(new Reader(plain, AES_BLOCK, V6_PLAIN_SIZE, 4));
  if (request.majorVersion !== major || request.minorVersion !== minor) {
    throw new KmsProtocolError(
      'BAD_VALUE',
      `encrypted version ${request.majorVersion}.${request.minorVersion} differs from ${major}.${minor}`,
      4 + AES_BLOCK,
    );
  }
  return {
    request,
    context: { kind: 'kms-request-context', version, decryptedRequestIv: plain.slice(0, AES_BLOCK) },
  };
}

/**
 * Client side: encodes a request in the format of `request.majorVersion` (4: CMAC;
 * 5: AES; 6 and above: v6 AES, as vlmcs does for protocol probes). `random.iv` is the
 * clear v5/v6 IV (default: 16 random bytes). Returns the bytes and the context that
 * {@link decodeKmsResponse} needs.
 */
export function encodeKmsRequest(
  request: KmsRequest,
  random: KmsRequestRandom = {},
): { bytes: Uint8Array; context: KmsClientContext } {
  const major = request.majorVersion;
  if (!Number.isInteger(major) || major < 4) {
    throw new KmsProtocolError('KMS_VERSION', `cannot encode KMS protocol ${major}.${request.minorVersion}`, 2);
  }
  const common = {
    kind: 'kms-client-context' as const,
    majorVersion: major,
    minorVersion: request.minorVersion,
    cmid: request.cmid,
    clientTime: request.clientTime,
  };
  if (major === 4) {
    const bytes = new Uint8Array(KMS_V4_REQUEST_SIZE);
    writeRequestBase(request, bytes, 0);
    kmsV4Mac(bytes.subarray(0, KMS_REQUEST_BASE_SIZE), bytes, KMS_REQUEST_BASE_SIZE);
    return { bytes, context: { ...common, version: 4 } };
  }
  const version: KmsProtocolVersion = major === 5 ? 5 : 6;
  const iv = random.iv === undefined ? randomBlock() : checkBytes(random.iv, AES_BLOCK, 'iv');
  const plain = new Uint8Array(KMS_REQUEST_BASE_SIZE + REQUEST_PAD);
  writeRequestBase(request, plain, 0);
  plain.fill(REQUEST_PAD, KMS_REQUEST_BASE_SIZE);
  const cipher = kmsCipherFor(major);
  const bytes = new Uint8Array(KMS_V6_REQUEST_SIZE);
  new DataView(bytes.buffer).setUint16(0, request.minorVersion, true);
  new DataView(bytes.buffer).setUint16(2, major, true);
  bytes.set(iv, 4);
  bytes.set(cipher.encrypt(plain, iv), 4 + AES_BLOCK);
  return { bytes, context: { ...common, version, decryptedRequestIv: cipher.decrypt(iv) } };
}
