import {
  AES_BLOCK,
  bytesEqual,
  checkPkcs7,
  kmsCipherFor,
  kmsV4Mac,
  kmsV6Hmac,
  kmsV6HmacKey,
  pkcs7PadLength,
  randomBlock,
  sha256,
  xorBlock,
} from '../crypto/kms-crypto.js';
import { Reader } from '../wire/cursor.js';
import { KmsProtocolError } from '../wire/errors.js';
import { guidFromBytes, guidToBytes } from '../wire/guid.js';
import { isValidEpid } from './epid.js';
import { checkBytes, checkFileTime, checkGuid, checkUint, formatOfMajor, readUtf16z, writeUtf16 } from './kms-fields.js';
import type {
  KmsCheck,
  KmsClientContext,
  KmsProtocolVersion,
  KmsRequestContext,
  KmsResponse,
  KmsResponseRandom,
  VerifiedKmsResponse,
} from './kms-message.types.js';

/** Largest PIDSize a client accepts: 64 WCHARs including the NUL (vlmcsd PID_BUFFER_SIZE). */
export const KMS_MAX_PID_SIZE = 128;
/** Response base after the ePID: CMID, ClientTime, Count, two intervals. */
const POST_EPID = 16 + 8 + 4 + 4 + 4;
/** v5 trailer: RandomXoredIVs + SHA-256 hash. */
const V5_TRAILER = 16 + 32;
/** v6 adds HwId + XoredIVs + HMAC. */
const V6_EXTRA = 8 + 16 + 16;
const HWID_SIZE = 8;

/** Size of the response base for a given PIDSize. */
const baseSize = (pidSize: number): number => 8 + pidSize + POST_EPID;

function writeResponseBase(s: KmsResponse, out: Uint8Array, offset: number): number {
  checkUint(s.majorVersion, 16, 'majorVersion');
  checkUint(s.minorVersion, 16, 'minorVersion');
  checkUint(s.count, 32, 'count');
  checkUint(s.activationInterval, 32, 'activationInterval');
  checkUint(s.renewalInterval, 32, 'renewalInterval');
  checkGuid(s.cmid, 'cmid');
  checkFileTime(s.clientTime, 'clientTime');
  const pidSize = 2 * (s.epid.length + 1);
  const v = new DataView(out.buffer, out.byteOffset + offset, baseSize(pidSize));
  v.setUint16(0, s.minorVersion, true);
  v.setUint16(2, s.majorVersion, true);
  v.setUint32(4, pidSize, true);
  writeUtf16(s.epid, out, offset + 8); // NUL terminator: buffer is zero-filled
  let p = 8 + pidSize;
  guidToBytes(s.cmid, out, offset + p);
  v.setBigUint64(p + 16, s.clientTime, true);
  v.setUint32(p + 24, s.count, true);
  v.setUint32(p + 28, s.activationInterval, true);
  v.setUint32(p + 32, s.renewalInterval, true);
  p += POST_EPID;
  return p;
}

function checkEpidForEncoding(epid: string): void {
  if (typeof epid !== 'string' || epid.includes('\0') || 2 * (epid.length + 1) > KMS_MAX_PID_SIZE) {
    throw new KmsProtocolError('BAD_VALUE', `epid must be at most ${KMS_MAX_PID_SIZE / 2 - 1} UTF-16 units without NUL`, 0);
  }
}

/**
 * Host side: encodes the response to a request decoded by {@link decodeKmsRequest}.
 * The format follows `context.version`; the fields (including the echoed version,
 * CMID and ClientTime) come from `response`.
 * - v4: base + CMAC.
 * - v5: version + AES(IV = decrypted request IV, base, RandomXoredIVs, Hash, PKCS#7).
 * - v6: as v5 with a random IV, plus HwId (`response.hwid`, required), XoredIVs and
 *   the time-slot-keyed HMAC.
 * `random` injects the v5/v6 random parts (see {@link KmsResponseRandom}).
 */
export function encodeKmsResponse(
  response: KmsResponse,
  context: KmsRequestContext,
  random: KmsResponseRandom = {},
): Uint8Array {
  checkEpidForEncoding(response.epid);
  const pidSize = 2 * (response.epid.length + 1);
  if (context.version === 4) {
    const base = baseSize(pidSize);
    const out = new Uint8Array(base + AES_BLOCK);
    writeResponseBase(response, out, 0);
    kmsV4Mac(out.subarray(0, base), out, base);
    return out;
  }
  const v6 = context.version === 6;
  const reqIv = checkBytes(context.decryptedRequestIv, AES_BLOCK, 'context.decryptedRequestIv');
  const salt =
    random.randomSalt === undefined ? randomBlock() : checkBytes(random.randomSalt, AES_BLOCK, 'randomSalt');
  // v5: the response IV is the request IV (Microsoft clients check); v6: random.
  const respIv = !v6
    ? reqIv
    : random.responseIv === undefined
      ? randomBlock()
      : checkBytes(random.responseIv, AES_BLOCK, 'responseIv');
  const hwid = v6 ? checkBytes(response.hwid, HWID_SIZE, 'hwid (required for v6)') : undefined;

  const content = AES_BLOCK + baseSize(pidSize) + V5_TRAILER + (v6 ? V6_EXTRA : 0);
  const pad = pkcs7PadLength(content);
  // The plaintext is built where its ciphertext goes and encrypted in place.
  const out = new Uint8Array(4 + content + pad);
  const plain = out.subarray(4);
  plain.set(respIv, 0);
  let p = writeResponseBase(response, plain, AES_BLOCK) + AES_BLOCK;
  plain.set(xorBlock(salt, reqIv), p);
  plain.set(sha256(salt), p + 16);
  p += V5_TRAILER;
  if (hwid) {
    plain.set(hwid, p);
    plain.set(reqIv, p + HWID_SIZE);
    p += HWID_SIZE + AES_BLOCK;
    plain.set(kmsV6Hmac(kmsV6HmacKey(response.clientTime), plain.subarray(0, p)), p);
  }
  plain.fill(pad, content);
  kmsCipherFor(context.version).encrypt(plain, undefined, plain);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, response.minorVersion, true);
  dv.setUint16(2, response.majorVersion, true);
  return out;
}

interface ParsedBase {
  readonly major: number;
  readonly minor: number;
  readonly pidSize: number;
  readonly epid: string;
  readonly pidNulAt: number;
  readonly cmid: KmsResponse['cmid'];
  readonly clientTime: bigint;
  readonly count: number;
  readonly activationInterval: number;
  readonly renewalInterval: number;
}

/** Reads the base; the caller has checked that `baseSize(pidSize)` bytes are there. */
function readResponseBase(r: Reader): ParsedBase {
  const minor = r.u16le('Version.minor');
  const major = r.u16le('Version.major');
  const pidSize = r.u32le('PIDSize');
  const units = pidSize >>> 1;
  const { text: epid, nulAt: pidNulAt } = readUtf16z(r, units, 'KmsPID');
  r.skip(pidSize & 1, 'KmsPID');
  const cmid = guidFromBytes(r.bytes(16, 'CMID'));
  const clientTime = r.u64le('ClientTime');
  const count = r.u32le('Count');
  const activationInterval = r.u32le('VLActivationInterval');
  const renewalInterval = r.u32le('VLRenewalInterval');
  return { major, minor, pidSize, epid, pidNulAt, cmid, clientTime, count, activationInterval, renewalInterval };
}

/** Reads PIDSize at `pidSizeAt` and checks the message holds exactly what it implies. */
function checkSizeForPid(buf: Uint8Array, pidSizeAt: number, fixed: number, actual: number, origin: number): number {
  const pidSize = new Reader(buf, pidSizeAt, buf.length, origin).u32le('PIDSize');
  const expected = fixed + pidSize;
  if (actual !== expected) {
    throw new KmsProtocolError('KMS_LENGTH', `PIDSize ${pidSize} implies a ${expected}-byte message, got ${actual}`, pidSizeAt + origin);
  }
  return pidSize;
}

function check(name: KmsCheck['name'], ok: boolean, detail?: string): KmsCheck {
  return detail === undefined || ok ? { name, ok } : { name, ok, detail };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function baseChecks(b: ParsedBase, ctx: KmsClientContext, outerOk: boolean): KmsCheck[] {
  const units = b.pidSize >>> 1;
  const pidSizeOk = b.pidSize % 2 === 0 && b.pidSize >= 2 && b.pidSize <= KMS_MAX_PID_SIZE;
  const terminatorOk = b.pidNulAt === units - 1;
  return [
    check(
      'version',
      b.major === ctx.majorVersion && b.minor === ctx.minorVersion && outerOk,
      `response ${b.major}.${b.minor}, request ${ctx.majorVersion}.${ctx.minorVersion}`,
    ),
    check('cmid', b.cmid === ctx.cmid, `response ${b.cmid}, request ${ctx.cmid}`),
    check('client-time', b.clientTime === ctx.clientTime, `response ${b.clientTime}, request ${ctx.clientTime}`),
    check('pid-size', pidSizeOk, `PIDSize ${b.pidSize}`),
    check('pid-terminator', terminatorOk, b.pidNulAt < 0 ? 'no NUL' : `NUL at character ${b.pidNulAt} of ${units}`),
    check('epid-format', isValidEpid(b.epid), JSON.stringify(b.epid)),
  ];
}

function toResponse(b: ParsedBase, hwid?: Uint8Array): KmsResponse {
  const r: KmsResponse = {
    kind: 'kms-response',
    majorVersion: b.major,
    minorVersion: b.minor,
    epid: b.epid,
    cmid: b.cmid,
    clientTime: b.clientTime,
    count: b.count,
    activationInterval: b.activationInterval,
    renewalInterval: b.renewalInterval,
  };
  return hwid ? { ...r, hwid } : r;
}

/**
 * Client side: decodes and verifies a response to the request that produced
 * `context`. Cryptographic and structural failures throw {@link KmsProtocolError}
 * (KMS_VERSION, KMS_LENGTH, TRUNCATED, BAD_MAC, BAD_PADDING, BAD_HASH, BAD_HMAC);
 * semantic mismatches (version, CMID, ClientTime echo, IVs, ePID) come back as
 * failed checks so a client can report all of them, as vlmcs does.
 */
export function decodeKmsResponse(bytes: Uint8Array, context: KmsClientContext): VerifiedKmsResponse {
  const head = new Reader(bytes);
  const minor = head.u16le('Version.minor');
  const major = head.u16le('Version.major');
  const format = formatOfMajor(major);
  if (format === undefined) throw new KmsProtocolError('KMS_VERSION', `KMS protocol ${major}.${minor} is not supported`, 2);
  if (format !== context.version) {
    throw new KmsProtocolError('KMS_VERSION', `v${format} response to a v${context.version} request`, 2);
  }
  return format === 4 ? decodeV4(bytes, context) : decodeV56(bytes, context, format, major, minor);
}

function decodeV4(bytes: Uint8Array, ctx: KmsClientContext): VerifiedKmsResponse {
  const pidSize = checkSizeForPid(bytes, 4, baseSize(0) + AES_BLOCK, bytes.length, 0);
  const macAt = baseSize(pidSize);
  if (!bytesEqual(kmsV4Mac(bytes.subarray(0, macAt)), bytes.subarray(macAt))) {
    throw new KmsProtocolError('BAD_MAC', 'v4 response CMAC does not match', macAt);
  }
  const b = readResponseBase(new Reader(bytes, 0, macAt));
  return { response: toResponse(b), checks: [check('mac', true), ...baseChecks(b, ctx, true)] };
}

function decodeV56(
  bytes: Uint8Array,
  ctx: KmsClientContext,
  format: Exclude<KmsProtocolVersion, 4>,
  major: number,
  minor: number,
): VerifiedKmsResponse {
  const enc = bytes.length - 4;
  if (enc < 2 * AES_BLOCK || enc % AES_BLOCK !== 0) {
    throw new KmsProtocolError('KMS_LENGTH', `encrypted part is ${enc} bytes, not a multiple of 16 of at least 32`, 4);
  }
  const reqIv = checkBytes(ctx.decryptedRequestIv, AES_BLOCK, 'context.decryptedRequestIv');
  const plain = kmsCipherFor(major).decrypt(bytes.subarray(4));
  const pad = checkPkcs7(plain);
  if (pad < 0) throw new KmsProtocolError('BAD_PADDING', 'PKCS#7 padding is wrong after decryption', 4 + (-pad - 1));
  const v6 = format === 6;
  const contentSize = plain.length - pad;
  // Plain offsets + 4 = wire offsets (CBC keeps positions).
  const fixed = AES_BLOCK + baseSize(0) + V5_TRAILER + (v6 ? V6_EXTRA : 0);
  checkSizeForPid(plain, AES_BLOCK + 4, fixed, contentSize, 4);
  const r = new Reader(plain, AES_BLOCK, contentSize, 4);
  const b = readResponseBase(r);
  const randomXored = r.bytes(16, 'RandomXoredIVs');
  const hashAt = r.offset;
  const hash = r.bytes(32, 'Hash');
  if (!bytesEqual(sha256(xorBlock(randomXored, reqIv)), hash)) {
    throw new KmsProtocolError('BAD_HASH', 'SHA-256 of the decrypted request IV ^ RandomXoredIVs does not match Hash', hashAt);
  }
  const respIv = plain.subarray(0, AES_BLOCK);
  const checks: KmsCheck[] = [check('decrypt', true), check('hash', true)];
  let hwid: Uint8Array | undefined;
  if (v6) {
    hwid = r.bytes(HWID_SIZE, 'HwId').slice();
    const xoredIvs = r.bytes(16, 'XoredIVs');
    const hmacAt = r.offset;
    const hmac = r.bytes(16, 'HMAC');
    const signed = plain.subarray(0, hmacAt - 4);
    let hmacOk = false;
    for (const tolerance of [0, -1, 1] as const) {
      if (bytesEqual(kmsV6Hmac(kmsV6HmacKey(b.clientTime, tolerance), signed), hmac)) {
        hmacOk = true;
        break;
      }
    }
    if (!hmacOk) throw new KmsProtocolError('BAD_HMAC', 'v6 HMAC matches none of the three time slots', hmacAt);
    checks.push(
      check('hmac', true),
      check('ivs', bytesEqual(xoredIvs, reqIv), `XoredIVs ${hex(xoredIvs)}, decrypted request IV ${hex(reqIv)}`),
      check('iv-not-suspicious', !bytesEqual(respIv, reqIv), 'response IV equals request IV (KMSv5 rule in v6: emulator)'),
    );
  } else {
    checks.push(check('ivs', bytesEqual(respIv, reqIv), `response IV ${hex(respIv)}, request IV ${hex(reqIv)}`));
  }
  const outerOk = b.major === major && b.minor === minor;
  return { response: toResponse(b, hwid), checks: [...checks, ...baseChecks(b, ctx, outerOk)] };
}
