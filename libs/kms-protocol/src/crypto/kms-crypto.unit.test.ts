import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../wire/hex.js';
import {
  checkPkcs7,
  kmsCipherFor,
  kmsV4Mac,
  kmsV5Cipher,
  kmsV6Cipher,
  kmsV6Hmac,
  kmsV6HmacKey,
  pkcs7PadLength,
  randomBlock,
  xorBlock,
} from './kms-crypto.js';
import { Rijndael, expandRijndaelKey } from './rijndael.js';

describe('KMS v5 / v6 ciphers', () => {
  // Wire IV ("salt") and its decryption, from the captures' .decoded.txt.
  it('v5 decrypts the captured request IV block (key CD7E796F...)', () => {
    const block = kmsV5Cipher.decrypt(fromHex('bc1df7429196f5a3cdbd9a8d3ab16dfe'));
    expect(toHex(block)).toBe('7862e278780f8bfe98791cab8c5c5be7');
  });

  it('v6 decrypts the captured request IV block (altered key schedule)', () => {
    const block = kmsV6Cipher.decrypt(fromHex('1890a1f1758c01585c04910db97a8abe'));
    expect(toHex(block)).toBe('0964eef20b07acc53694e7a9f21fccc9');
  });

  it('v6 differs from plain AES-128 with the same key', () => {
    const x = new Uint8Array(16);
    expect(toHex(kmsV6Cipher.encrypt(x))).not.toBe(toHex(kmsV5Cipher.encrypt(x)));
  });

  it('selects v6 for every major above 5', () => {
    expect(kmsCipherFor(5)).toBe(kmsV5Cipher);
    expect(kmsCipherFor(6)).toBe(kmsV6Cipher);
    expect(kmsCipherFor(7)).toBe(kmsV6Cipher);
  });

  it('CBC round-trips with and without an IV, and chains like node', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((n) => fc.uint8Array({ minLength: 16 * n, maxLength: 16 * n })),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (data, iv) => {
          for (const c of [kmsV5Cipher, kmsV6Cipher]) {
            expect(toHex(c.decrypt(c.encrypt(data, iv), iv))).toBe(toHex(data));
            expect(toHex(c.decrypt(c.encrypt(data)))).toBe(toHex(data));
            // CBC with IV = CBC without IV on (first block ^ IV)
            const x = data.slice();
            x.set(xorBlock(data.subarray(0, 16), iv), 0);
            expect(toHex(c.encrypt(data, iv))).toBe(toHex(c.encrypt(x)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('v5 decryption (one shared ECB decipher) agrees with a fresh node AES-128-CBC for every message in a row', () => {
    const key = fromHex('cd7e796f2ab25dcb55ffc8ef8364c470');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean()), { maxLength: 6 }),
        (messages) => {
          for (const [blocks, iv, withIv] of messages) {
            const data = new Uint8Array(16 * blocks).map((_, i) => (i * 31 + blocks) & 0xff);
            const d = createDecipheriv('aes-128-cbc', key, withIv ? iv : new Uint8Array(16)).setAutoPadding(false);
            const want = toHex(Buffer.concat([d.update(data), d.final()]));
            expect(toHex(withIv ? kmsV5Cipher.decrypt(data, iv) : kmsV5Cipher.decrypt(data))).toBe(want);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('encrypts in place into the input, or into a given array, as into a new one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (blocks, iv) => {
        for (const c of [kmsV5Cipher, kmsV6Cipher]) {
          const data = new Uint8Array(16 * blocks).map((_, i) => (i * 13) & 0xff);
          const want = toHex(c.encrypt(data, iv));
          const into = new Uint8Array(data.length);
          expect(toHex(c.encrypt(data, iv, into))).toBe(want);
          expect(toHex(into)).toBe(want);
          const inPlace = data.slice();
          c.encrypt(inPlace, iv, inPlace);
          expect(toHex(inPlace)).toBe(want);
        }
      }),
      { numRuns: 50 },
    );
    expect(() => kmsV6Cipher.encrypt(new Uint8Array(16), undefined, new Uint8Array(32))).toThrow(RangeError);
  });

  it('refuses partial blocks and bad IVs', () => {
    expect(() => kmsV6Cipher.encrypt(new Uint8Array(15))).toThrow(RangeError);
    expect(() => kmsV5Cipher.decrypt(new Uint8Array(16), new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('kmsV4Mac', () => {
  it('reproduces the MAC of a captured v4 request', async () => {
    const { loadVector } = await import('../testing/vectors.js');
    const pdu = loadVector('v4-srv2008r2dc-ndr32-btfn').pdus.find((p) => p.dir === 'C' && p.bytes[2] === 0)!;
    const payload = pdu.bytes.subarray(32, 32 + 252); // 24-byte request header + NDR32 len, size_is
    expect(toHex(kmsV4Mac(payload.subarray(0, 236)))).toBe('5054a1eb36b3070c6fcf2f752d93ffbb');
  });

  it('is a CBC-MAC under 160-bit Rijndael over the message + 0x80 + zeros', () => {
    // vlmcsd AesKeyV4, repeated here so the test checks the construction independently
    const r = new Rijndael(expandRijndaelKey(fromHex('053D8307F9E5F088EB5EA6686CF037C7E4EFD2D6')));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (m) => {
        const padded = new Uint8Array((Math.floor(m.length / 16) + 1) * 16);
        padded.set(m);
        padded[m.length] = 0x80;
        const mac = new Uint8Array(16);
        for (let i = 0; i < padded.length; i += 16) {
          for (let j = 0; j < 16; j++) mac[j]! ^= padded[i + j]!;
          r.encryptBlock(mac, 0, mac, 0);
        }
        expect(toHex(kmsV4Mac(m))).toBe(toHex(mac));
      }),
      { numRuns: 100 },
    );
  });

  it('writes into a caller buffer at an offset', () => {
    const out = new Uint8Array(40);
    kmsV4Mac(new Uint8Array(10), out, 20);
    expect(toHex(out.subarray(20, 36))).toBe(toHex(kmsV4Mac(new Uint8Array(10))));
    expect(out.subarray(0, 20).every((b) => b === 0)).toBe(true);
  });
});

describe('v6 HMAC', () => {
  it('derives the key from the 4.11-hour slot of the time, upper half of SHA-256', () => {
    const t = 134402916880000000n;
    const slot = (t / 0x22816889bdn) * 0x208cbab5edn + 0x3156cd5ac628477an;
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(BigInt.asUintN(64, slot));
    expect(toHex(kmsV6HmacKey(t))).toBe(createHash('sha256').update(le).digest('hex').slice(32));
    // same slot for any time inside it
    const start = (t / 0x22816889bdn) * 0x22816889bdn;
    expect(toHex(kmsV6HmacKey(start))).toBe(toHex(kmsV6HmacKey(start + 0x22816889bcn)));
    expect(toHex(kmsV6HmacKey(start))).not.toBe(toHex(kmsV6HmacKey(start + 0x22816889bdn)));
    expect(toHex(kmsV6HmacKey(t, -1))).not.toBe(toHex(kmsV6HmacKey(t)));
    expect(kmsV6HmacKey(0xffffffffffffffffn, 1).length).toBe(16);
  });

  it('keeps the upper 16 bytes of HMAC-SHA256', () => {
    const key = new Uint8Array(16).fill(1);
    const data = new Uint8Array(100).fill(2);
    expect(toHex(kmsV6Hmac(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex').slice(32));
  });
});

describe('PKCS#7', () => {
  it('pads 1..16 bytes', () => {
    expect(pkcs7PadLength(236)).toBe(4);
    expect(pkcs7PadLength(208)).toBe(16);
    expect(pkcs7PadLength(248)).toBe(8);
  });

  it('reports the pad length or the first wrong byte', () => {
    expect(checkPkcs7(fromHex('00000000000000000000000000000202'))).toBe(2);
    expect(checkPkcs7(fromHex('00000000000000000000000000000404'))).toBe(-13);
    expect(checkPkcs7(new Uint8Array(16).fill(16))).toBe(16);
    expect(checkPkcs7(fromHex('00000000000000000000000000000000'))).toBe(-16);
    expect(checkPkcs7(fromHex('00000000000000000000000000000011'))).toBe(-16);
    expect(checkPkcs7(fromHex('00000000000000000000000004040404'))).toBe(4);
    expect(checkPkcs7(fromHex('00000000000000000000000004050404'))).toBe(-14);
    expect(checkPkcs7(new Uint8Array(0))).toBe(-1);
    expect(checkPkcs7(Uint8Array.of(2))).toBe(-1);
  });
});

describe('randomBlock', () => {
  it('hands out fresh standalone bytes across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const b = randomBlock(i % 3 === 0 ? 16 : 8);
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(b.length);
      seen.add(toHex(b));
    }
    expect(seen.size).toBe(600);
    expect(() => randomBlock(4097)).toThrow(RangeError);
  });
});

describe('v6 HMAC key cache', () => {
  it('returns the derived key, and a copy the caller may change', () => {
    const t = 134402916880000000n;
    const derive = (tol: number) => {
      const le = Buffer.alloc(8);
      le.writeBigUInt64LE(BigInt.asUintN(64, (t / 0x22816889bdn) * 0x208cbab5edn + 0x3156cd5ac628477an + BigInt(tol) * 0x22816889bdn));
      return createHash('sha256').update(le).digest('hex').slice(32);
    };
    for (const tol of [0, -1, 1, 0] as const) {
      const k = kmsV6HmacKey(t, tol);
      expect(toHex(k)).toBe(derive(tol));
      k.fill(0);
    }
    expect(toHex(kmsV6HmacKey(t))).toBe(derive(0));
  });
});
