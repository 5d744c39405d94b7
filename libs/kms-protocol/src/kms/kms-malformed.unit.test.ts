import { describe, expect, it } from 'vitest';
import { kmsCipherFor, kmsV4Mac, kmsV6Hmac, kmsV6HmacKey } from '../crypto/kms-crypto.js';
import { KmsProtocolError, type ProtocolErrorCode } from '../wire/errors.js';
import { NIL_GUID, parseGuid } from '../wire/guid.js';
import type { KmsClientContext, KmsRequest, KmsRequestContext, KmsResponse } from './kms-message.types.js';
import { decodeKmsRequest, encodeKmsRequest, peekKmsVersion } from './kms-request.codec.js';
import { decodeKmsResponse, encodeKmsResponse } from './kms-response.codec.js';

function errorOf(fn: () => unknown): KmsProtocolError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KmsProtocolError);
    return e as KmsProtocolError;
  }
  throw new Error('expected a KmsProtocolError');
}

const expectError = (fn: () => unknown, code: ProtocolErrorCode, offset: number): void => {
  const e = errorOf(fn);
  expect({ code: e.code, offset: e.offset }, e.message).toEqual({ code, offset });
};

const REQUEST: KmsRequest = {
  kind: 'kms-request',
  majorVersion: 6,
  minorVersion: 0,
  vmInfo: 0,
  licenseStatus: 2,
  bindingExpiration: 43200,
  applicationId: parseGuid('55c92734-d682-4d71-983e-d6ec3f16059f'),
  skuId: parseGuid('73111121-5638-40f6-bc11-f1d7b0d64300'),
  kmsCountedId: parseGuid('58e2134f-8e11-4d17-9cb2-91069c151148'),
  cmid: parseGuid('6f0f6a3c-1111-4aaa-8bbb-000000000042'),
  nPolicy: 25,
  clientTime: 134402916880000000n,
  previousCmid: NIL_GUID,
  workstationName: 'HOST-1.example.test',
};
const EPID = '03612-00206-556-123727-03-1033-17763.0000-2972018';
const IV = new Uint8Array(16).fill(0x11);
const SALT = new Uint8Array(16).fill(0x22);
const RESP_IV = new Uint8Array(16).fill(0x33);
const HWID = Uint8Array.of(0x3a, 0x1c, 0x04, 0x96, 0x00, 0xb6, 0x00, 0x76);

const request = (major: number): KmsRequest => ({ ...REQUEST, majorVersion: major });

function responseFor(q: KmsRequest, over: Partial<KmsResponse> = {}): KmsResponse {
  return {
    kind: 'kms-response',
    majorVersion: q.majorVersion,
    minorVersion: q.minorVersion,
    epid: EPID,
    cmid: q.cmid,
    clientTime: q.clientTime,
    count: 50,
    activationInterval: 120,
    renewalInterval: 10080,
    ...(q.majorVersion === 6 ? { hwid: HWID } : {}),
    ...over,
  };
}

/** A full exchange: client request, host decode, host response. */
function exchange(major: number, over: Partial<KmsResponse> = {}, responseIv = RESP_IV) {
  const q = request(major);
  const { bytes: req, context: client } = encodeKmsRequest(q, { iv: IV });
  const { context: host } = decodeKmsRequest(req);
  const resp = encodeKmsResponse(responseFor(q, over), host, { responseIv, randomSalt: SALT });
  return { req, client, host, resp };
}

/** Decrypts a v5/v6 response, lets `edit` change the plaintext, encrypts again. */
function reseal(bytes: Uint8Array, edit: (plain: Uint8Array) => void): Uint8Array {
  const major = bytes[2]!;
  const plain = kmsCipherFor(major).decrypt(bytes.subarray(4));
  edit(plain);
  const out = bytes.slice();
  out.set(kmsCipherFor(major).encrypt(plain), 4);
  return out;
}

/** Decrypts a v5/v6 request (CBC with the clear IV), edits, encrypts again. */
function resealRequest(bytes: Uint8Array, edit: (plain: Uint8Array) => void): Uint8Array {
  const major = bytes[2]!;
  const iv = bytes.slice(4, 20);
  const plain = kmsCipherFor(major).decrypt(bytes.subarray(20), iv);
  edit(plain);
  const out = bytes.slice();
  out.set(kmsCipherFor(major).encrypt(plain, iv), 20);
  return out;
}

const failed = (checks: readonly { name: string; ok: boolean }[]): string[] => checks.filter((c) => !c.ok).map((c) => c.name);

describe('decodeKmsRequest: malformed input', () => {
  const v4 = encodeKmsRequest(request(4)).bytes;
  const v6 = encodeKmsRequest(request(6), { iv: IV }).bytes;

  it('truncated version field', () => {
    expectError(() => decodeKmsRequest(new Uint8Array(0)), 'TRUNCATED', 0);
    expectError(() => decodeKmsRequest(Uint8Array.of(0, 0, 4)), 'TRUNCATED', 2);
    expectError(() => peekKmsVersion(Uint8Array.of(0)), 'TRUNCATED', 0);
  });

  it('unknown major versions', () => {
    for (const major of [0, 3, 7, 0xffff]) {
      const b = v6.slice();
      b[2] = major & 0xff;
      b[3] = major >> 8;
      expectError(() => decodeKmsRequest(b), 'KMS_VERSION', 2);
      expect(peekKmsVersion(b).major).toBe(major);
    }
  });

  it('wrong lengths', () => {
    expectError(() => decodeKmsRequest(v4.subarray(0, 251)), 'KMS_LENGTH', 251);
    expectError(() => decodeKmsRequest(Uint8Array.from([...v4, 0])), 'KMS_LENGTH', 252);
    expectError(() => decodeKmsRequest(v4.subarray(0, 4)), 'KMS_LENGTH', 4);
    expectError(() => decodeKmsRequest(v6.subarray(0, 259)), 'KMS_LENGTH', 259);
    expectError(() => decodeKmsRequest(Uint8Array.from([...v6, 0])), 'KMS_LENGTH', 260);
    expectError(() => decodeKmsRequest(v6.subarray(0, 252)), 'KMS_LENGTH', 252);
  });

  it('v4: any changed byte breaks the CMAC', () => {
    for (const at of [0, 4, 100, 235, 236, 251]) {
      const b = v4.slice();
      b[at]! ^= 0x01; // byte 0 is the minor version: still v4
      expectError(() => decodeKmsRequest(b), 'BAD_MAC', 236);
    }
  });

  it('v5/v6: wrong pad bytes after decryption', () => {
    const b = resealRequest(v6, (p) => (p[239] = 5));
    expectError(() => decodeKmsRequest(b), 'BAD_PADDING', 259);
    const c = resealRequest(v6, (p) => (p[236] = 0));
    expectError(() => decodeKmsRequest(c), 'BAD_PADDING', 256);
  });

  it('v5 body encrypted with the v6 key fails the padding check', () => {
    const b = v6.slice();
    b[2] = 5;
    expect(errorOf(() => decodeKmsRequest(b)).code).toBe('BAD_PADDING');
  });

  it('v5/v6: encrypted version differs from the clear one', () => {
    const b = resealRequest(v6, (p) => (p[0] = 1)); // inner 6.1, outer 6.0
    expectError(() => decodeKmsRequest(b), 'BAD_VALUE', 20);
  });
});

describe('decodeKmsResponse: malformed input', () => {
  it('truncated and unknown versions', () => {
    const { client } = exchange(4);
    expectError(() => decodeKmsResponse(new Uint8Array(0), client), 'TRUNCATED', 0);
    expectError(() => decodeKmsResponse(Uint8Array.of(0, 0, 4, 0, 100, 0), client), 'TRUNCATED', 4);
    expectError(() => decodeKmsResponse(Uint8Array.of(0, 0, 7, 0), client), 'KMS_VERSION', 2);
  });

  it('response format differs from the request format', () => {
    const v6 = exchange(6);
    const v5 = exchange(5);
    const v4 = exchange(4);
    expectError(() => decodeKmsResponse(v6.resp, v5.client), 'KMS_VERSION', 2);
    expectError(() => decodeKmsResponse(v4.resp, v6.client), 'KMS_VERSION', 2);
    expectError(() => decodeKmsResponse(v6.resp, v4.client), 'KMS_VERSION', 2);
  });

  it('v4: lengths that disagree with PIDSize', () => {
    const { resp, client } = exchange(4);
    expect(resp.length).toBe(160);
    expectError(() => decodeKmsResponse(resp.subarray(0, 159), client), 'KMS_LENGTH', 4);
    expectError(() => decodeKmsResponse(Uint8Array.from([...resp, 0]), client), 'KMS_LENGTH', 4);
    for (const pidSize of [98, 0, 0xffffffff]) {
      const b = resp.slice();
      new DataView(b.buffer).setUint32(4, pidSize, true);
      expectError(() => decodeKmsResponse(b, client), 'KMS_LENGTH', 4);
    }
  });

  it('v4: bad CMAC', () => {
    const { resp, client } = exchange(4);
    for (const at of [9, 120, 130, 143, 144, 159]) {
      const b = resp.slice();
      b[at]! ^= 0x80;
      expectError(() => decodeKmsResponse(b, client), 'BAD_MAC', 144);
    }
  });

  it('v5/v6: encrypted part not whole blocks', () => {
    const { resp, client } = exchange(5);
    expect(resp.length).toBe(228);
    expectError(() => decodeKmsResponse(resp.subarray(0, 227), client), 'KMS_LENGTH', 4);
    expectError(() => decodeKmsResponse(resp.subarray(0, 20), client), 'KMS_LENGTH', 4);
  });

  it('v5/v6: bad PKCS#7 padding', () => {
    for (const major of [5, 6]) {
      const { resp, client } = exchange(major);
      const n = resp.length;
      const last = reseal(resp, (p) => (p[p.length - 1] = 0x11));
      expectError(() => decodeKmsResponse(last, client), 'BAD_PADDING', n - 1);
      const zero = reseal(resp, (p) => (p[p.length - 1] = 0));
      expectError(() => decodeKmsResponse(zero, client), 'BAD_PADDING', n - 1);
      const mixed = reseal(resp, (p) => (p[p.length - 3] = 0x01));
      expectError(() => decodeKmsResponse(mixed, client), 'BAD_PADDING', n - 3);
    }
  });

  it('v5/v6: PIDSize that disagrees with the decrypted length', () => {
    for (const major of [5, 6]) {
      const { resp, client } = exchange(major);
      const b = reseal(resp, (p) => new DataView(p.buffer, p.byteOffset).setUint32(20, 102, true));
      expectError(() => decodeKmsResponse(b, client), 'KMS_LENGTH', 24);
    }
  });

  it('v5/v6: hash mismatch', () => {
    for (const major of [5, 6]) {
      const { resp, client } = exchange(major);
      // plain: IV 16, base 144, RandomXoredIVs 16, Hash 32 -> Hash at plain 176 = wire 180
      const b = reseal(resp, (p) => (p[176 + 5]! ^= 1));
      expectError(() => decodeKmsResponse(b, client), 'BAD_HASH', 180);
      const c = reseal(resp, (p) => (p[160]! ^= 1)); // RandomXoredIVs
      expectError(() => decodeKmsResponse(c, client), 'BAD_HASH', 180);
    }
  });

  it('v6: HMAC mismatch', () => {
    const { resp, client } = exchange(6);
    // HwId at plain 208, XoredIVs 216, HMAC 232 = wire 236
    for (const at of [0, 30, 208, 220, 232, 247]) {
      const b = reseal(resp, (p) => (p[at]! ^= 1));
      expectError(() => decodeKmsResponse(b, client), 'BAD_HMAC', 236);
    }
  });

  it('v6: HMAC accepted in the neighbouring time slots', () => {
    const { resp, client } = exchange(6);
    for (const tolerance of [-1, 1] as const) {
      const b = reseal(resp, (p) => {
        const key = kmsV6HmacKey(REQUEST.clientTime, tolerance);
        p.set(kmsV6Hmac(key, p.subarray(0, 232)), 232);
      });
      expect(failed(decodeKmsResponse(b, client).checks)).toEqual([]);
    }
    const wrongSlot = reseal(resp, (p) => {
      p.set(kmsV6Hmac(kmsV6HmacKey(REQUEST.clientTime + 3n * 0x22816889bdn), p.subarray(0, 232)), 232);
    });
    expectError(() => decodeKmsResponse(wrongSlot, client), 'BAD_HMAC', 236);
  });

  it('a context without the decrypted request IV', () => {
    const { resp, client } = exchange(6);
    const bad: KmsClientContext = { ...client, decryptedRequestIv: new Uint8Array(3) };
    expectError(() => decodeKmsResponse(resp, bad), 'BAD_VALUE', 0);
  });
});

describe('decodeKmsResponse: semantic checks are reported, not thrown', () => {
  it('all checks pass for a proper exchange of every version', () => {
    for (const major of [4, 5, 6]) {
      const { resp, client } = exchange(major);
      const { response, checks } = decodeKmsResponse(resp, client);
      expect(failed(checks)).toEqual([]);
      expect(response).toEqual(responseFor(request(major)));
    }
  });

  it('CMID, ClientTime and version echo mismatches', () => {
    for (const major of [4, 5, 6]) {
      const { resp, client } = exchange(major, {
        cmid: parseGuid('6f0f6a3c-1111-4aaa-8bbb-0000000000ff'),
        clientTime: REQUEST.clientTime + 1n,
        minorVersion: 1,
      });
      const { checks } = decodeKmsResponse(resp, client);
      expect(failed(checks).sort()).toEqual(['client-time', 'cmid', 'version']);
      expect(checks.find((c) => c.name === 'cmid')!.detail).toContain('0000000000ff');
    }
  });

  it('v6: response IV equal to the request IV (v5 rule) is suspicious', () => {
    const { client } = exchange(6);
    const { context: host } = decodeKmsRequest(encodeKmsRequest(request(6), { iv: IV }).bytes);
    const resp = encodeKmsResponse(responseFor(request(6)), host, { responseIv: host.decryptedRequestIv!, randomSalt: SALT });
    expect(failed(decodeKmsResponse(resp, client).checks)).toEqual(['iv-not-suspicious']);
  });

  it('v6: XoredIVs that are not the decrypted request IV', () => {
    const { resp, client } = exchange(6);
    const b = reseal(resp, (p) => {
      p[216]! ^= 1;
      p.set(kmsV6Hmac(kmsV6HmacKey(REQUEST.clientTime), p.subarray(0, 232)), 232);
    });
    expect(failed(decodeKmsResponse(b, client).checks)).toEqual(['ivs']);
  });

  it('v5: response IV that is not the request IV', () => {
    const { resp, client } = exchange(5);
    const b = reseal(resp, (p) => (p[3]! ^= 1));
    expect(failed(decodeKmsResponse(b, client).checks)).toEqual(['ivs']);
  });

  it('ePID format', () => {
    const { resp, client } = exchange(6, { epid: 'not an epid' });
    expect(failed(decodeKmsResponse(resp, client).checks)).toEqual(['epid-format']);
  });

  it('v4: ePID not NUL-terminated, and PIDSize over 128', () => {
    const { resp, client } = exchange(4);
    const b = resp.slice();
    b[8 + 98] = 0x58; // 'X' over the terminating NUL
    kmsV4Mac(b.subarray(0, 144), b, 144);
    const r = decodeKmsResponse(b, client);
    expect(failed(r.checks).sort()).toEqual(['epid-format', 'pid-terminator']);
    expect(r.response.epid).toBe(EPID + 'X');

    // 64 characters + NUL = 130 bytes: bigger than a client's 64-WCHAR buffer
    const big = new Uint8Array(8 + 130 + 36 + 16);
    big.set(resp.subarray(0, 4));
    new DataView(big.buffer).setUint32(4, 130, true);
    for (let i = 0; i < 64; i++) big[8 + 2 * i] = 0x31;
    big.set(resp.subarray(108, 144), 138);
    kmsV4Mac(big.subarray(0, 174), big, 174);
    expect(failed(decodeKmsResponse(big, client).checks).sort()).toEqual(['epid-format', 'pid-size']);
  });
});

describe('encoders refuse values the wire cannot carry', () => {
  const host: KmsRequestContext = decodeKmsRequest(encodeKmsRequest(request(6), { iv: IV }).bytes).context;

  it('requests', () => {
    expectError(() => encodeKmsRequest(request(3)), 'KMS_VERSION', 2);
    expectError(() => encodeKmsRequest({ ...REQUEST, workstationName: 'x'.repeat(65) }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest({ ...REQUEST, workstationName: 'a\0b' }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest({ ...REQUEST, nPolicy: -1 }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest({ ...REQUEST, vmInfo: 2 ** 32 }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest({ ...REQUEST, minorVersion: 0x10000 }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest({ ...REQUEST, cmid: 'nope' as never }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest({ ...REQUEST, clientTime: -1n }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsRequest(REQUEST, { iv: new Uint8Array(15) }), 'BAD_VALUE', 0);
    expect(encodeKmsRequest({ ...REQUEST, workstationName: 'x'.repeat(64) }).bytes.length).toBe(260);
  });

  it('responses', () => {
    const q = request(6);
    expectError(() => encodeKmsResponse(responseFor(q, { epid: '1'.repeat(64) }), host), 'BAD_VALUE', 0);
    expectError(() => encodeKmsResponse(responseFor(q, { hwid: undefined }), host), 'BAD_VALUE', 0);
    expectError(() => encodeKmsResponse(responseFor(q, { count: 1.5 }), host), 'BAD_VALUE', 0);
    expectError(() => encodeKmsResponse(responseFor(q), { ...host, decryptedRequestIv: undefined }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsResponse(responseFor(q), host, { randomSalt: new Uint8Array(1) }), 'BAD_VALUE', 0);
    expectError(() => encodeKmsResponse(responseFor(q), host, { responseIv: new Uint8Array(17) }), 'BAD_VALUE', 0);
    expect(encodeKmsResponse(responseFor(q, { epid: '1'.repeat(63) }), host).length).toBe(292); // 16 + 172 + 48 + 40 = 276, padded to 288, + version
  });

  it('uses fresh randomness when none is injected', () => {
    const a = encodeKmsRequest(REQUEST).bytes;
    const b = encodeKmsRequest(REQUEST).bytes;
    expect(Buffer.from(a.subarray(4, 20)).equals(Buffer.from(b.subarray(4, 20)))).toBe(false);
    const r1 = encodeKmsResponse(responseFor(REQUEST), host);
    const r2 = encodeKmsResponse(responseFor(REQUEST), host);
    expect(Buffer.from(r1).equals(Buffer.from(r2))).toBe(false);
  });
});
