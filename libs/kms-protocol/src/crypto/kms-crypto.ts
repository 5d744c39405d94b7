import * as nodeCrypto from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  randomFillSync,
  type Cipher,
  type Decipher,
  type KeyObject,
} from 'node:crypto';
import { Rijndael, expandRijndaelKey } from './rijndael.js';

/**
 * The KMS ciphers and MACs, keyed once at module load (the keys are protocol
 * constants). Constants are from vlmcsd `src/crypto.c` / `src/kms.h` and are
 * confirmed by the captured vectors.
 */

export const AES_BLOCK = 16;

/** v4: 160-bit Rijndael key of the v4 "CMAC" (vlmcsd AesKeyV4). */
const KEY_V4 = Uint8Array.of(0x05, 0x3d, 0x83, 0x07, 0xf9, 0xe5, 0xf0, 0x88, 0xeb, 0x5e, 0xa6, 0x68, 0x6c, 0xf0, 0x37, 0xc7, 0xe4, 0xef, 0xd2, 0xd6);
/** v5: plain AES-128 key. */
const KEY_V5 = Uint8Array.of(0xcd, 0x7e, 0x79, 0x6f, 0x2a, 0xb2, 0x5d, 0xcb, 0x55, 0xff, 0xc8, 0xef, 0x83, 0x64, 0xc4, 0x70);
/** v6: AES-128 key used with the altered key schedule below. */
const KEY_V6 = Uint8Array.of(0xa9, 0x4a, 0x41, 0x95, 0xe2, 0x01, 0x43, 0x2d, 0x9b, 0xcb, 0x46, 0x04, 0x05, 0xd8, 0x4a, 0x21);

const rijndaelV4 = new Rijndael(expandRijndaelKey(KEY_V4));

const rijndaelV6 = new Rijndael(
  ((): Uint32Array => {
    const w = expandRijndaelKey(KEY_V6);
    // KMSv6 alters the first byte of round keys 4, 6 and 8 (byte offsets 64, 96, 128
    // of the expanded key) after the normal AES-128 expansion.
    w[16] = (w[16]! ^ (0x73 << 24)) >>> 0;
    w[24] = (w[24]! ^ (0x09 << 24)) >>> 0;
    w[32] = (w[32]! ^ (0xe4 << 24)) >>> 0;
    return w;
  })(),
);

const keyV5: KeyObject = createSecretKey(KEY_V5);
const ZERO_IV = new Uint8Array(AES_BLOCK);

/**
 * The v4 message authenticator. vlmcsd calls it "AesCmacV4", but it is a plain
 * CBC-MAC (zero IV, no subkeys) over the message padded with 0x80 and zeros to the
 * next block boundary (always at least one pad byte), under 160-bit-key Rijndael.
 */
export function kmsV4Mac(message: Uint8Array, out: Uint8Array = new Uint8Array(AES_BLOCK), outOffset = 0): Uint8Array {
  const mac = out.subarray(outOffset, outOffset + AES_BLOCK);
  mac.fill(0);
  const full = message.length - (message.length % AES_BLOCK);
  for (let i = 0; i < full; i += AES_BLOCK) {
    for (let j = 0; j < AES_BLOCK; j++) mac[j]! ^= message[i + j]!;
    rijndaelV4.encryptBlock(mac, 0, mac, 0);
  }
  const tail = message.length - full;
  for (let j = 0; j < tail; j++) mac[j]! ^= message[full + j]!;
  mac[tail]! ^= 0x80;
  rijndaelV4.encryptBlock(mac, 0, mac, 0);
  return out;
}

/** CBC over whole blocks (no padding) with the KMS v5 or v6 cipher. */
export interface KmsCbcCipher {
  /**
   * CBC-encrypts `data` (a multiple of 16 bytes) with `iv` (all-zero when omitted)
   * into a new array, or into `into` (as long as `data`; may be `data` itself).
   */
  encrypt(data: Uint8Array, iv?: Uint8Array, into?: Uint8Array): Uint8Array;
  /** CBC-decrypts `data` (a multiple of 16 bytes) with `iv` (all-zero when omitted) into a new array. */
  decrypt(data: Uint8Array, iv?: Uint8Array): Uint8Array;
}

function checkBlocks(data: Uint8Array, iv: Uint8Array): void {
  if (data.length % AES_BLOCK !== 0) throw new RangeError(`CBC data must be whole blocks, got ${data.length} bytes`);
  if (iv.length !== AES_BLOCK) throw new RangeError(`CBC IV must be 16 bytes, got ${iv.length}`);
}

function checkInto(data: Uint8Array, into: Uint8Array | undefined): void {
  if (into !== undefined && into.length !== data.length) throw new RangeError(`CBC output must be ${data.length} bytes, got ${into.length}`);
}

/** Copies a node Buffer into a standalone Uint8Array. */
const toU8 = (b: Buffer): Uint8Array => new Uint8Array(b);

/** Runs a node cipher over `data` into a fresh array (not a slice of node's buffer pool) or into `out`. */
function drain(c: Cipher | Decipher, data: Uint8Array, out: Uint8Array = new Uint8Array(data.length)): Uint8Array {
  const head = c.update(data);
  out.set(head);
  out.set(c.final(), head.length);
  return out;
}

/**
 * One AES-128-ECB decipher for the whole process. ECB keeps no state between
 * update() calls of whole blocks (no padding, so OpenSSL holds nothing back),
 * so CBC decryption is one update() plus the XOR with the previous ciphertext
 * block: no createDecipheriv per message (half the cost of a v5 decryption).
 */
const v5Ecb = createDecipheriv('aes-128-ecb', keyV5, null).setAutoPadding(false);

/** v5: standard AES-128-CBC, done by node:crypto. */
export const kmsV5Cipher: KmsCbcCipher = {
  encrypt(data, iv = ZERO_IV, into) {
    checkBlocks(data, iv);
    checkInto(data, into);
    // CBC encryption chains block by block: one cipher per message is cheaper than an update() per block.
    return drain(createCipheriv('aes-128-cbc', keyV5, iv).setAutoPadding(false), data, into);
  },
  decrypt(data, iv = ZERO_IV) {
    checkBlocks(data, iv);
    const blocks = v5Ecb.update(data);
    if (blocks.length !== data.length) throw new Error(`AES-128-ECB returned ${blocks.length} of ${data.length} bytes`);
    const out = new Uint8Array(data.length);
    for (let j = 0; j < AES_BLOCK && j < data.length; j++) out[j] = blocks[j]! ^ iv[j]!;
    for (let o = AES_BLOCK; o < data.length; o++) out[o] = blocks[o]! ^ data[o - AES_BLOCK]!;
    return out;
  },
};

/** v6: AES-128-CBC with the altered key schedule (hand-written Rijndael). */
export const kmsV6Cipher: KmsCbcCipher = {
  encrypt(data, iv = ZERO_IV, into) {
    checkBlocks(data, iv);
    checkInto(data, into);
    // In place is fine: block o of `data` is read before block o of `out` is written.
    const out = into ?? new Uint8Array(data.length);
    let prev = iv;
    let po = 0;
    for (let o = 0; o < data.length; o += AES_BLOCK) {
      for (let j = 0; j < AES_BLOCK; j++) out[o + j] = data[o + j]! ^ prev[po + j]!;
      rijndaelV6.encryptBlock(out, o, out, o);
      prev = out;
      po = o;
    }
    return out;
  },
  decrypt(data, iv = ZERO_IV) {
    checkBlocks(data, iv);
    const out = new Uint8Array(data.length);
    for (let o = 0; o < data.length; o += AES_BLOCK) {
      rijndaelV6.decryptBlock(data, o, out, o);
      const prev = o === 0 ? iv : data;
      const po = o === 0 ? 0 : o - AES_BLOCK;
      for (let j = 0; j < AES_BLOCK; j++) out[o + j]! ^= prev[po + j]!;
    }
    return out;
  },
};

/** The CBC cipher of a v5/v6 message format (v6 for any major version above 5, as vlmcsd does). */
export const kmsCipherFor = (majorVersion: number): KmsCbcCipher => (majorVersion > 5 ? kmsV6Cipher : kmsV5Cipher);

/** crypto.hash (node >= 20.12): a one-shot digest without a Hash object, about 3x cheaper for small inputs. */
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;

export function sha256(data: Uint8Array): Uint8Array {
  return toU8(oneShotHash ? oneShotHash('sha256', data, 'buffer') : createHash('sha256').update(data).digest());
}

const RANDOM_POOL_SIZE = 4096;
const randomPool = new Uint8Array(RANDOM_POOL_SIZE);
let randomAt = RANDOM_POOL_SIZE;

/**
 * `n` (at most 4096) fresh bytes from the CSPRNG. Taken from a pool that
 * crypto.randomFillSync refills 4 KiB at a time (one call instead of one per
 * IV or salt; node's randomUUID pools the same way); each byte is handed out once.
 */
export function randomBlock(n: number = AES_BLOCK): Uint8Array {
  if (!(n >= 0 && n <= RANDOM_POOL_SIZE)) throw new RangeError(`randomBlock: ${n} bytes is outside 0..${RANDOM_POOL_SIZE}`);
  if (randomAt + n > RANDOM_POOL_SIZE) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  const out = randomPool.slice(randomAt, randomAt + n);
  randomAt += n;
  return out;
}

// v6 HMAC time slot constants (vlmcsd kms.h TIME_C1..C3). C1 is the slot length in
// FILETIME ticks: 0x22816889BD * 100 ns ~ 4.11 hours.
const TIME_C1 = 0x22816889bdn;
const TIME_C2 = 0x208cbab5edn;
const TIME_C3 = 0x3156cd5ac628477an;

/**
 * The v6 HMAC key for a response ClientTime: the time slot
 * `(t / C1) * C2 + C3 + tolerance * C1` (mod 2^64, little-endian) is SHA-256 hashed
 * and the upper 16 bytes of the digest are the key. Verifiers try tolerance -1, 0, +1.
 */
export function kmsV6HmacKey(clientTime: bigint, tolerance: -1 | 0 | 1 = 0): Uint8Array {
  const t = BigInt.asUintN(64, clientTime);
  const slot = BigInt.asUintN(64, (t / TIME_C1) * TIME_C2 + TIME_C3 + BigInt(tolerance) * TIME_C1);
  // A slot lasts 4.11 hours and clients' clocks agree, so a host derives the same few keys all day.
  let key = hmacKeys.get(slot);
  if (key === undefined) {
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(slot);
    key = sha256(le).subarray(16);
    if (hmacKeys.size >= 64) hmacKeys.clear();
    hmacKeys.set(slot, key);
  }
  return key.slice();
}
const hmacKeys = new Map<bigint, Uint8Array>();

/**
 * The 16-byte v6 HMAC: upper half of HMAC-SHA256 over `data` (the plaintext of the
 * encrypted part, from the response IV block up to the HMAC field).
 */
export function kmsV6Hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return toU8(createHmac('sha256', key).update(data).digest()).subarray(16);
}

/** Number of PKCS#7 pad bytes for `length` (1..16; a full block when already aligned). */
export const pkcs7PadLength = (length: number): number => AES_BLOCK - (length % AES_BLOCK);

/**
 * Checks PKCS#7 padding at the end of `data`. Returns the pad length, or the
 * negative (index + 1) of the first wrong byte: -(i + 1).
 */
export function checkPkcs7(data: Uint8Array): number {
  const n = data.length;
  if (n === 0) return -1;
  const p = data[n - 1]!;
  if (p === 0 || p > AES_BLOCK || p > n) return -n;
  for (let i = n - p; i < n - 1; i++) if (data[i] !== p) return -(i + 1);
  return p;
}

/** Constant-time equality of two byte arrays of the same length. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** XOR of two 16-byte blocks into a new array. */
export function xorBlock(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
