import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KmsProtocolError } from '../wire/errors.js';
import { guidFromBytes } from '../wire/guid.js';
import type { KmsClientContext, KmsRequest, KmsResponse } from './kms-message.types.js';
import { decodeKmsRequest, encodeKmsRequest, peekKmsVersion } from './kms-request.codec.js';
import { decodeKmsResponse, encodeKmsResponse } from './kms-response.codec.js';

const u32 = fc.nat({ max: 0xffffffff });
const u16 = fc.nat({ max: 0xffff });
const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => guidFromBytes(b));
const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
/** UTF-16 code units other than NUL (lone surrogates included: the codec keeps code units as is). */
const utf16 = (maxLength: number) =>
  fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength }).map((units) => String.fromCharCode(...units));
const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
const epid = fc
  .tuple(digits(5), digits(5), digits(3), digits(6), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 6000, max: 30000 }), fc.integer({ min: 1, max: 366 }), fc.integer({ min: 2006, max: 2099 }))
  .map(([p, g, k1, k2, lcid, build, day, year]) => `${p}-${g}-${k1}-${k2}-03-${lcid}-${build}.0000-${String(day).padStart(3, '0')}${year}`);

const request = (majors: readonly number[]) =>
  fc.record({
    kind: fc.constant('kms-request' as const),
    majorVersion: fc.constantFrom(...majors),
    minorVersion: u16,
    vmInfo: u32,
    licenseStatus: u32,
    bindingExpiration: u32,
    applicationId: guid,
    skuId: guid,
    kmsCountedId: guid,
    cmid: guid,
    nPolicy: u32,
    clientTime: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
    previousCmid: guid,
    workstationName: utf16(64),
  }) satisfies fc.Arbitrary<KmsRequest>;

const hostResponse = (q: KmsRequest) =>
  fc.record({
    epid: fc.oneof(epid, utf16(63)),
    count: u32,
    activationInterval: u32,
    renewalInterval: u32,
    hwid: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  }).map(
    (r): KmsResponse => ({
      kind: 'kms-response',
      majorVersion: q.majorVersion,
      minorVersion: q.minorVersion,
      epid: r.epid,
      cmid: q.cmid,
      clientTime: q.clientTime,
      count: r.count,
      activationInterval: r.activationInterval,
      renewalInterval: r.renewalInterval,
      ...(q.majorVersion === 6 ? { hwid: r.hwid } : {}),
    }),
  );

describe('KMS codec properties', () => {
  it('requests of every version round-trip through the host decoder', () => {
    fc.assert(
      fc.property(request([4, 5, 6]), bytes16, (q, iv) => {
        const { bytes, context } = encodeKmsRequest(q, { iv });
        expect(bytes.length).toBe(q.majorVersion === 4 ? 252 : 260);
        const decoded = decodeKmsRequest(bytes);
        expect(decoded.request).toEqual(q);
        expect(decoded.context.version).toBe(q.majorVersion);
        expect(decoded.context.decryptedRequestIv).toEqual(context.decryptedRequestIv);
        expect(peekKmsVersion(bytes)).toEqual({ major: q.majorVersion, minor: q.minorVersion });
      }),
      { numRuns: 300 },
    );
  });

  it('responses of every version round-trip and pass every cryptographic check', () => {
    fc.assert(
      fc.property(
        request([4, 5, 6]).chain((q) => fc.tuple(fc.constant(q), hostResponse(q))),
        bytes16,
        bytes16,
        bytes16,
        ([q, s], iv, responseIv, randomSalt) => {
          const { bytes, context: client } = encodeKmsRequest(q, { iv });
          const { context: host } = decodeKmsRequest(bytes);
          const wire = encodeKmsResponse(s, host, { responseIv, randomSalt });
          const { response, checks } = decodeKmsResponse(wire, client);
          expect(response).toEqual(s);
          const failed = checks.filter((c) => !c.ok).map((c) => c.name);
          // Random ePIDs may fail the format check; a v6 random IV may equal the request IV only by chance.
          expect(failed.filter((n) => n !== 'epid-format' && n !== 'iv-not-suspicious')).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const onlyProtocolErrors = (fn: () => unknown): void => {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KmsProtocolError)) throw e;
    expect(Number.isInteger(e.offset) && e.offset >= 0).toBe(true);
  }
};

function sampleContexts(): KmsClientContext[] {
  const q = fc.sample(request([4, 5, 6, 7]), { numRuns: 1, seed: 42 })[0]!;
  return [4, 5, 6, 7].map((major) => encodeKmsRequest({ ...q, majorVersion: major }).context);
}

/** Valid messages of each version, to mutate. */
function sampleMessages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const major of [4, 5, 6]) {
    const [q, s] = fc.sample(request([major]).chain((r) => fc.tuple(fc.constant(r), hostResponse(r))), { numRuns: 1, seed: major })[0]!;
    const { bytes } = encodeKmsRequest(q);
    out.push(bytes, encodeKmsResponse(s, decodeKmsRequest(bytes).context));
  }
  return out;
}

describe('KMS decoders on arbitrary bytes', () => {
  const contexts = sampleContexts();

  it('random bytes only ever throw KmsProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), u16, (b, major) => {
        // Give the version field a decodable major half of the time.
        if (b.length >= 4 && major % 2 === 0) {
          b[2] = 4 + (major % 3);
          b[3] = 0;
        }
        onlyProtocolErrors(() => peekKmsVersion(b));
        onlyProtocolErrors(() => decodeKmsRequest(b));
        for (const c of contexts) onlyProtocolErrors(() => decodeKmsResponse(b, c));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated and truncated valid messages only ever throw KmsProtocolError', () => {
    const messages = sampleMessages();
    fc.assert(
      fc.property(
        fc.constantFrom(...messages),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (m, edits, cut) => {
          const b = m.slice(0, m.length - (cut % 3 === 0 ? cut % m.length : 0));
          for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
          onlyProtocolErrors(() => decodeKmsRequest(b));
          for (const c of contexts) onlyProtocolErrors(() => decodeKmsResponse(b, c));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
