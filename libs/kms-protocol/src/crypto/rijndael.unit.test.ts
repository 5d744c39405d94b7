import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../wire/hex.js';
import { Rijndael, expandRijndaelKey } from './rijndael.js';

const nodeEcb = (key: Uint8Array, block: Uint8Array): Uint8Array => {
  const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
};

describe('Rijndael', () => {
  it('matches the FIPS-197 appendix C.1 AES-128 example', () => {
    const r = new Rijndael(expandRijndaelKey(fromHex('000102030405060708090a0b0c0d0e0f')));
    const block = fromHex('00112233445566778899aabbccddeeff');
    const out = new Uint8Array(16);
    r.encryptBlock(block, 0, out, 0);
    expect(toHex(out)).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    r.decryptBlock(out, 0, out, 0);
    expect(toHex(out)).toBe(toHex(block));
  });

  it('has 11 rounds for the 160-bit key of KMS v4 (Nk = 5)', () => {
    expect(new Rijndael(expandRijndaelKey(new Uint8Array(20))).rounds).toBe(11);
    expect(expandRijndaelKey(new Uint8Array(20)).length).toBe(48);
  });

  it('agrees with node AES-128/192/256 for random keys and blocks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (key, block) => {
          const r = new Rijndael(expandRijndaelKey(key));
          const out = new Uint8Array(16);
          r.encryptBlock(block, 0, out, 0);
          expect(toHex(out)).toBe(toHex(nodeEcb(key, block)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decrypts what it encrypts for any key size and for altered schedules', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 20, 24, 28, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffffffff }),
        (key, block, at, mask) => {
          const w = expandRijndaelKey(key);
          w[at % w.length] = (w[at % w.length]! ^ mask) >>> 0;
          const r = new Rijndael(w);
          const buf = new Uint8Array(32);
          buf.set(block, 8);
          r.encryptBlock(buf, 8, buf, 8); // in place at an offset
          r.decryptBlock(buf, 8, buf, 8);
          expect(toHex(buf.subarray(8, 24))).toBe(toHex(block));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects keys that are not 4..8 words', () => {
    expect(() => expandRijndaelKey(new Uint8Array(15))).toThrow(RangeError);
    expect(() => expandRijndaelKey(new Uint8Array(36))).toThrow(RangeError);
  });
});
