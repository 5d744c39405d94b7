import { describe, expect, it } from 'vitest';
import { kmsCipherFor, xorBlock } from '../crypto/kms-crypto.js';
import { loadVector } from '../testing/vectors.js';
import { parseGuid } from '../wire/guid.js';
import { fromHex, toHex } from '../wire/hex.js';
import { KmsProtocolError } from '../wire/errors.js';
import type { KmsRequest, KmsResponse } from './kms-message.types.js';
import { decodeKmsRequest, encodeKmsRequest, peekKmsVersion } from './kms-request.codec.js';
import { decodeKmsResponse, encodeKmsResponse } from './kms-response.codec.js';
import { CAPTURE_NAMES, kmsPayloads, readDecoded, type DecodedKmsBlock } from './kms-vectors.testing.js';

const f = (b: DecodedKmsBlock, label: string): string => {
  const v = b.fields.get(label);
  if (v === undefined) throw new Error(`decoded field ${label} missing`);
  return v;
};
const firstWord = (s: string): string => s.split(/\s+/)[0]!;
const quoted = (s: string): string => /^'(.*)'/.exec(s)![1]!;
const version = (b: DecodedKmsBlock): [number, number] => f(b, 'Version').split('.').map(Number) as [number, number];

/** The request as the independent decoder saw it. */
function requestFromDecoded(b: DecodedKmsBlock): KmsRequest {
  const [majorVersion, minorVersion] = version(b);
  return {
    kind: 'kms-request',
    majorVersion,
    minorVersion,
    vmInfo: Number(f(b, 'VMInfo')),
    licenseStatus: Number(f(b, 'LicenseStatus')),
    bindingExpiration: Number(firstWord(f(b, 'BindingExpiration'))),
    applicationId: parseGuid(f(b, 'AppID')),
    skuId: parseGuid(f(b, 'ActID (SKU)')),
    kmsCountedId: parseGuid(f(b, 'KMSID')),
    cmid: parseGuid(f(b, 'CMID')),
    nPolicy: Number(f(b, 'N_Policy')),
    clientTime: BigInt(firstWord(f(b, 'ClientTime'))),
    previousCmid: parseGuid(f(b, 'CMID_prev')),
    workstationName: quoted(f(b, 'WorkstationName')),
  };
}

function responseFromDecoded(b: DecodedKmsBlock): KmsResponse {
  const [majorVersion, minorVersion] = version(b);
  const r: KmsResponse = {
    kind: 'kms-response',
    majorVersion,
    minorVersion,
    epid: quoted(f(b, 'KmsPID (ePID)')),
    cmid: parseGuid(f(b, 'CMID')),
    clientTime: BigInt(firstWord(f(b, 'ClientTime'))),
    count: Number(f(b, 'Count')),
    activationInterval: Number(firstWord(f(b, 'VLActivationInterval'))),
    renewalInterval: Number(firstWord(f(b, 'VLRenewalInterval'))),
  };
  return b.fields.has('HwId') ? { ...r, hwid: fromHex(f(b, 'HwId')) } : r;
}

interface Exchange {
  readonly name: string;
  readonly request: { payload: Uint8Array; decoded: DecodedKmsBlock };
  readonly response?: { payload: Uint8Array; decoded: DecodedKmsBlock };
}

/** Pairs each captured request payload with its response (if not an error stub) and decode block. */
function exchanges(): Exchange[] {
  const out: Exchange[] = [];
  for (const name of CAPTURE_NAMES) {
    const payloads = kmsPayloads(loadVector(name));
    const blocks = readDecoded(name);
    expect(blocks.length).toBe(payloads.length);
    for (let i = 0; i < payloads.length; i++) {
      expect(blocks[i]!.size).toBe(payloads[i]!.payload.length);
      expect(blocks[i]!.what).toBe(payloads[i]!.dir === 'C' ? 'request' : 'response');
      if (payloads[i]!.dir !== 'C') continue;
      const next = payloads[i + 1];
      const request = { payload: payloads[i]!.payload, decoded: blocks[i]! };
      out.push(next?.dir === 'S' ? { name, request, response: { payload: next.payload, decoded: blocks[i + 1]! } } : { name, request });
    }
  }
  return out;
}

const all = exchanges();
const supported = all.filter((x) => x.request.decoded.fields.get('Version') !== '7.0');

describe('captured KMS requests', () => {
  it('covers every capture: 11 requests, 9 responses', () => {
    expect(all.length).toBe(11);
    expect(all.filter((x) => x.response).length).toBe(9);
  });

  it.each(supported.map((x, i) => [`${x.name} #${i}`, x] as const))('%s decodes field for field', (_, x) => {
    const { request, context } = decodeKmsRequest(x.request.payload);
    const d = x.request.decoded;
    expect(request).toEqual(requestFromDecoded(d));
    expect(context.version).toBe(request.majorVersion);
    if (context.version === 4) {
      expect(context.decryptedRequestIv).toBeUndefined();
      expect(toHex(x.request.payload.subarray(236))).toBe(f(d, 'MAC (AES-CMAC)'));
    } else {
      expect(toHex(x.request.payload.subarray(4, 20))).toBe(f(d, 'IV (salt, wire)'));
      expect(toHex(context.decryptedRequestIv!)).toBe(f(d, 'decrypted IV block'));
      const plain = kmsCipherFor(request.majorVersion).decrypt(x.request.payload.subarray(4)).subarray(16);
      expect(toHex(plain)).toBe(f(d, 'decrypted plaintext (after IV):'));
      expect(f(d, 'pad')).toBe('04040404');
    }
  });

  it.each(all.map((x, i) => [`${x.name} #${i}`, x] as const))('%s re-encodes byte for byte from the decoded fields', (_, x) => {
    const q = requestFromDecoded(x.request.decoded);
    const iv = q.majorVersion === 4 ? undefined : fromHex(f(x.request.decoded, 'IV (salt, wire)'));
    const { bytes, context } = encodeKmsRequest(q, { iv });
    expect(toHex(bytes)).toBe(toHex(x.request.payload));
    expect(context.cmid).toBe(q.cmid);
    if (iv) expect(toHex(context.decryptedRequestIv!)).toBe(f(x.request.decoded, 'decrypted IV block'));
  });

  it('refuses the version 7.0 probe with KMS_VERSION, but peekKmsVersion reads it', () => {
    const x = all.find((e) => e.name === 'err-version-7.0')!;
    expect(peekKmsVersion(x.request.payload)).toEqual({ major: 7, minor: 0 });
    const err = (() => {
      try {
        decodeKmsRequest(x.request.payload);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KmsProtocolError);
    expect(err).toMatchObject({ code: 'KMS_VERSION', offset: 2 });
  });

  it('decodes the N-policy 1001 request (policy, not codec, refuses it)', () => {
    const x = all.find((e) => e.name === 'err-npolicy-1001')!;
    expect(decodeKmsRequest(x.request.payload).request.nPolicy).toBe(1001);
  });
});

const withResponse = all.filter((x) => x.response);

describe('captured KMS responses', () => {
  it.each(withResponse.map((x, i) => [`${x.name} #${i}`, x] as const))('%s verifies and decodes field for field', (_, x) => {
    const q = requestFromDecoded(x.request.decoded);
    const iv = q.majorVersion === 4 ? undefined : x.request.payload.subarray(4, 20);
    const { context } = encodeKmsRequest(q, { iv });
    const d = x.response!.decoded;
    const { response, checks } = decodeKmsResponse(x.response!.payload, context);
    expect(response).toEqual(responseFromDecoded(d));
    expect(f(d, 'PIDSize')).toBe(String(2 * (response.epid.length + 1)));
    expect(f(d, 'KmsPID (ePID)')).toContain('(NUL-terminated: True)');
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    const names = checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['version', 'cmid', 'client-time', 'pid-size', 'pid-terminator', 'epid-format']));
    expect(names).toContain(q.majorVersion === 4 ? 'mac' : 'hash');
    if (q.majorVersion === 6) expect(names).toEqual(expect.arrayContaining(['hmac', 'ivs', 'iv-not-suspicious']));
    for (const c of d.checks) expect(c).toMatch(/: True$/);
  });

  it.each(withResponse.map((x, i) => [`${x.name} #${i}`, x] as const))(
    '%s re-encodes byte for byte with the captured randoms injected',
    (_, x) => {
      const { context } = decodeKmsRequest(x.request.payload);
      const d = x.response!.decoded;
      const expected = x.response!.payload;
      if (context.version === 4) {
        expect(toHex(encodeKmsResponse(responseFromDecoded(d), context))).toBe(toHex(expected));
        expect(toHex(expected.subarray(expected.length - 16))).toBe(f(d, 'MAC (AES-CMAC)'));
        return;
      }
      // The decode gives RandomXoredIVs = salt ^ decrypted request IV, and the response's decrypted IV block.
      const reqIv = context.decryptedRequestIv!;
      const randomSalt = xorBlock(fromHex(f(d, 'RandomXoredIVs')), reqIv);
      const responseIv = fromHex(f(d, 'decrypted IV block'));
      const bytes = encodeKmsResponse(responseFromDecoded(d), context, { responseIv, randomSalt });
      expect(toHex(bytes)).toBe(toHex(expected));
      expect(toHex(bytes.subarray(4, 20))).toBe(f(d, 'IV (wire)'));

      // Trailer layout, checked against the independent decode.
      const plain = kmsCipherFor(context.version).decrypt(bytes.subarray(4));
      expect(toHex(plain.subarray(16))).toBe(f(d, 'decrypted plaintext (after IV):'));
      const t = 16 + 8 + 100 + 36; // IV block, version + PIDSize, ePID, CMID..RenewalInterval
      expect(toHex(plain.subarray(t, t + 16))).toBe(f(d, 'RandomXoredIVs'));
      expect(toHex(plain.subarray(t + 16, t + 48))).toBe(f(d, 'Hash (SHA256)'));
      if (context.version === 6) {
        expect(toHex(plain.subarray(t + 48, t + 56))).toBe(f(d, 'HwId').toLowerCase());
        expect(toHex(plain.subarray(t + 56, t + 72))).toBe(f(d, 'XoredIVs'));
        expect(toHex(plain.subarray(t + 72, t + 88))).toBe(f(d, 'HMAC (low 16)'));
        expect(toHex(plain.subarray(t + 88))).toBe(f(d, 'PKCS7 pad'));
      } else {
        expect(toHex(plain.subarray(t + 48))).toBe(f(d, 'PKCS7 pad'));
        expect(toHex(bytes.subarray(0, 20))).toBe(toHex(x.request.payload.subarray(0, 20))); // v5 echoes version + IV
      }
    },
  );
});
