/**
 * Table-driven Rijndael with a 128-bit block and any key of 4..8 words.
 *
 * Why not node:crypto: KMS uses two variants OpenSSL does not offer.
 * - v4 keys the CMAC with a 160-bit (5-word) key, i.e. Rijndael with Nk = 5 and
 *   11 rounds; AES only defines 128/192/256-bit keys.
 * - v6 uses AES-128 whose expanded key is altered after expansion (three round-key
 *   bytes are XORed with constants); OpenSSL only takes the raw key.
 * So this module accepts an already expanded (and possibly altered) key schedule.
 * Standard AES-128 (v5) goes through node:crypto instead.
 *
 * Words are big-endian (byte 0 of a block is the top byte of word 0), as in FIPS-197.
 */

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
const TE0 = new Uint32Array(256);
const TE1 = new Uint32Array(256);
const TE2 = new Uint32Array(256);
const TE3 = new Uint32Array(256);
const TD0 = new Uint32Array(256);
const TD1 = new Uint32Array(256);
const TD2 = new Uint32Array(256);
const TD3 = new Uint32Array(256);

const xtime = (a: number): number => ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;

function gmul(a: number, b: number): number {
  let r = 0;
  for (; b; b >>= 1, a = xtime(a)) if (b & 1) r ^= a;
  return r;
}

const rotr8 = (w: number): number => ((w >>> 8) | (w << 24)) >>> 0;

// Build the S-box (multiplicative inverse in GF(2^8) + affine map) and the round tables once.
(function buildTables(): void {
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++, x = x ^ xtime(x)) {
    exp[i] = x;
    log[x] = i;
  }
  for (let a = 0; a < 256; a++) {
    const inv = a === 0 ? 0 : exp[(255 - log[a]!) % 255]!;
    let s = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) {
      r = ((r << 1) | (r >>> 7)) & 0xff;
      s ^= r;
    }
    s ^= 0x63;
    SBOX[a] = s;
    INV_SBOX[s] = a;
  }
  for (let a = 0; a < 256; a++) {
    const s = SBOX[a]!;
    const te = ((gmul(s, 2) << 24) | (s << 16) | (s << 8) | gmul(s, 3)) >>> 0;
    TE0[a] = te;
    TE1[a] = rotr8(te);
    TE2[a] = rotr8(TE1[a]!);
    TE3[a] = rotr8(TE2[a]!);
    const i = INV_SBOX[a]!;
    const td = ((gmul(i, 14) << 24) | (gmul(i, 9) << 16) | (gmul(i, 13) << 8) | gmul(i, 11)) >>> 0;
    TD0[a] = td;
    TD1[a] = rotr8(td);
    TD2[a] = rotr8(TD1[a]!);
    TD3[a] = rotr8(TD2[a]!);
  }
})();

const subWord = (w: number): number =>
  ((SBOX[w >>> 24]! << 24) | (SBOX[(w >>> 16) & 0xff]! << 16) | (SBOX[(w >>> 8) & 0xff]! << 8) | SBOX[w & 0xff]!) >>> 0;

/**
 * FIPS-197 key expansion generalised to any Nk in 4..8 (Nr = Nk + 6), as Rijndael
 * defines it. Returns 4 * (Nr + 1) big-endian round-key words.
 */
export function expandRijndaelKey(key: Uint8Array): Uint32Array {
  if (key.length % 4 !== 0 || key.length < 16 || key.length > 32) {
    throw new RangeError(`Rijndael key must be 16..32 bytes in whole words, got ${key.length}`);
  }
  const nk = key.length / 4;
  const total = 4 * (nk + 7);
  const w = new Uint32Array(total);
  for (let i = 0; i < nk; i++) {
    w[i] = ((key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!) >>> 0;
  }
  let rcon = 1;
  for (let i = nk; i < total; i++) {
    let t = w[i - 1]!;
    if (i % nk === 0) {
      t = (subWord(((t << 8) | (t >>> 24)) >>> 0) ^ (rcon << 24)) >>> 0;
      rcon = xtime(rcon);
    } else if (nk > 6 && i % nk === 4) {
      t = subWord(t);
    }
    w[i] = (w[i - nk]! ^ t) >>> 0;
  }
  return w;
}

const readWord = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function writeWord(b: Uint8Array, o: number, w: number): void {
  b[o] = w >>> 24;
  b[o + 1] = w >>> 16;
  b[o + 2] = w >>> 8;
  b[o + 3] = w;
}

/** A Rijndael block cipher over a fixed, precomputed key schedule. */
export class Rijndael {
  private readonly ek: Uint32Array;
  private readonly dk: Uint32Array;
  readonly rounds: number;

  /** @param schedule expanded encryption round keys (see {@link expandRijndaelKey}), possibly altered. */
  constructor(schedule: Uint32Array) {
    if (schedule.length % 4 !== 0 || schedule.length < 44) throw new RangeError('bad Rijndael key schedule');
    this.ek = Uint32Array.from(schedule);
    this.rounds = schedule.length / 4 - 1;
    // Equivalent inverse cipher: round keys in reverse order, InvMixColumns on the
    // inner ones. Works for any schedule because InvMixColumns is linear.
    const nr = this.rounds;
    const dk = new Uint32Array(schedule.length);
    for (let r = 0; r <= nr; r++) {
      for (let c = 0; c < 4; c++) {
        const w = schedule[4 * (nr - r) + c]!;
        dk[4 * r + c] =
          r === 0 || r === nr
            ? w
            : (TD0[SBOX[w >>> 24]!]! ^ TD1[SBOX[(w >>> 16) & 0xff]!]! ^ TD2[SBOX[(w >>> 8) & 0xff]!]! ^ TD3[SBOX[w & 0xff]!]!) >>> 0;
      }
    }
    this.dk = dk;
  }

  /** Encrypts the 16 bytes at `src[so]` into `dst[dOff]` (may alias). */
  encryptBlock(src: Uint8Array, so: number, dst: Uint8Array, dOff: number): void {
    const k = this.ek;
    let s0 = readWord(src, so) ^ k[0]!;
    let s1 = readWord(src, so + 4) ^ k[1]!;
    let s2 = readWord(src, so + 8) ^ k[2]!;
    let s3 = readWord(src, so + 12) ^ k[3]!;
    let ki = 4;
    for (let r = 1; r < this.rounds; r++, ki += 4) {
      const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ k[ki]!;
      const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ k[ki + 1]!;
      const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ k[ki + 2]!;
      const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ k[ki + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
    }
    const S = SBOX;
    writeWord(dst, dOff, ((S[s0 >>> 24]! << 24) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[(s2 >>> 8) & 0xff]! << 8) | S[s3 & 0xff]!) ^ k[ki]!);
    writeWord(dst, dOff + 4, ((S[s1 >>> 24]! << 24) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[(s3 >>> 8) & 0xff]! << 8) | S[s0 & 0xff]!) ^ k[ki + 1]!);
    writeWord(dst, dOff + 8, ((S[s2 >>> 24]! << 24) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[(s0 >>> 8) & 0xff]! << 8) | S[s1 & 0xff]!) ^ k[ki + 2]!);
    writeWord(dst, dOff + 12, ((S[s3 >>> 24]! << 24) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[(s1 >>> 8) & 0xff]! << 8) | S[s2 & 0xff]!) ^ k[ki + 3]!);
  }

  /** Decrypts the 16 bytes at `src[so]` into `dst[dOff]` (may alias). */
  decryptBlock(src: Uint8Array, so: number, dst: Uint8Array, dOff: number): void {
    const k = this.dk;
    let s0 = readWord(src, so) ^ k[0]!;
    let s1 = readWord(src, so + 4) ^ k[1]!;
    let s2 = readWord(src, so + 8) ^ k[2]!;
    let s3 = readWord(src, so + 12) ^ k[3]!;
    let ki = 4;
    for (let r = 1; r < this.rounds; r++, ki += 4) {
      const t0 = TD0[s0 >>> 24]! ^ TD1[(s3 >>> 16) & 0xff]! ^ TD2[(s2 >>> 8) & 0xff]! ^ TD3[s1 & 0xff]! ^ k[ki]!;
      const t1 = TD0[s1 >>> 24]! ^ TD1[(s0 >>> 16) & 0xff]! ^ TD2[(s3 >>> 8) & 0xff]! ^ TD3[s2 & 0xff]! ^ k[ki + 1]!;
      const t2 = TD0[s2 >>> 24]! ^ TD1[(s1 >>> 16) & 0xff]! ^ TD2[(s0 >>> 8) & 0xff]! ^ TD3[s3 & 0xff]! ^ k[ki + 2]!;
      const t3 = TD0[s3 >>> 24]! ^ TD1[(s2 >>> 16) & 0xff]! ^ TD2[(s1 >>> 8) & 0xff]! ^ TD3[s0 & 0xff]! ^ k[ki + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
    }
    const S = INV_SBOX;
    writeWord(dst, dOff, ((S[s0 >>> 24]! << 24) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[(s2 >>> 8) & 0xff]! << 8) | S[s1 & 0xff]!) ^ k[ki]!);
    writeWord(dst, dOff + 4, ((S[s1 >>> 24]! << 24) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[(s3 >>> 8) & 0xff]! << 8) | S[s2 & 0xff]!) ^ k[ki + 1]!);
    writeWord(dst, dOff + 8, ((S[s2 >>> 24]! << 24) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[(s0 >>> 8) & 0xff]! << 8) | S[s3 & 0xff]!) ^ k[ki + 2]!);
    writeWord(dst, dOff + 12, ((S[s3 >>> 24]! << 24) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[(s1 >>> 8) & 0xff]! << 8) | S[s0 & 0xff]!) ^ k[ki + 3]!);
  }
}
