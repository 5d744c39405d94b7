import { DnsWireError } from '@kmsgrid/dns-client';
import { describe, expect, it } from 'vitest';
import { loadNsupdateCapture } from './fixtures/nsupdate-tsig.js';
import { scanMessage } from './message.js';
import { computeTsigMac, readTsig, signMessage, TSIG_ALGORITHMS, tsigAlgorithm, verifyMessage, type TsigKey } from './tsig.js';
import { encodeUpdate } from './update-message.js';

const { key, request, response } = loadNsupdateCapture();
const tsig = readTsig(request)!;
const requestUpdate = {
  id: request.readUInt16BE(0),
  zone: 'kms.test',
  prerequisites: [],
  updates: [{ kind: 'add' as const, record: { name: '_vlmcs._tcp.kms.test', type: 'SRV' as const, ttl: 3600, data: { priority: 0, weight: 0, port: 1688, target: 'kms1.kms.test' } } }],
};

describe('TSIG against BIND (nsupdate request, named answer)', () => {
  it('reads the TSIG record nsupdate wrote', () => {
    expect(tsig).toMatchObject({ keyName: 'kmsgrid-key', algorithm: 'hmac-sha256', fudge: 300, error: 0, originalId: request.readUInt16BE(0) });
    expect(tsig.mac).toHaveLength(32);
  });

  it('computes the MAC nsupdate computed (RFC 8945 §4.3)', () => {
    const unsigned = Buffer.from(request.subarray(0, tsig.offset));
    unsigned.writeUInt16BE(0, 10);
    expect(computeTsigMac(key, unsigned, tsig).toString('hex')).toBe(tsig.mac.toString('hex'));
  });

  it('signs our own encoding of the same update into the exact bytes nsupdate sent', () => {
    const signed = signMessage(encodeUpdate(requestUpdate), key, { timeSigned: tsig.timeSigned, fudge: 300 });
    expect(signed.message.toString('hex')).toBe(request.toString('hex'));
    expect(signed.mac).toEqual(tsig.mac);
  });

  it("verifies named's signed answer over the request MAC", () => {
    const check = verifyMessage(response, key, { now: tsig.timeSigned + 1, requestMac: tsig.mac });
    expect(check).toMatchObject({ ok: true });
  });

  it('rejects a tampered answer (each byte of the message part flipped in turn)', () => {
    const answerTsig = readTsig(response)!;
    for (let i = 2; i < answerTsig.offset; i++) {
      // Flipping the id is covered by original-id restoration; every other byte is under the MAC.
      const bad = Buffer.from(response);
      bad[i] = bad[i]! ^ 0x01;
      let check;
      try {
        check = verifyMessage(bad, key, { now: tsig.timeSigned, requestMac: tsig.mac });
      } catch (e) {
        expect(e).toBeInstanceOf(DnsWireError); // some flips break the framing instead
        continue;
      }
      expect(check.ok, `byte ${i}`).toBe(false);
    }
  });

  it('rejects an answer whose MAC was altered, or checked against another request MAC', () => {
    const bad = Buffer.from(response);
    bad[bad.length - 7] = bad[bad.length - 7]! ^ 0x80; // last byte of the MAC
    expect(verifyMessage(bad, key, { now: tsig.timeSigned, requestMac: tsig.mac })).toMatchObject({ ok: false, problem: 'bad-sig' });
    const otherMac = Buffer.alloc(32, 7);
    expect(verifyMessage(response, key, { now: tsig.timeSigned, requestMac: otherMac })).toMatchObject({ ok: false, problem: 'bad-sig' });
  });

  it('rejects a wrong secret, a wrong key name, an old signature', () => {
    const wrongSecret: TsigKey = { ...key, secret: Buffer.alloc(32, 1) };
    expect(verifyMessage(response, wrongSecret, { now: tsig.timeSigned, requestMac: tsig.mac })).toMatchObject({ ok: false, problem: 'bad-sig' });
    expect(verifyMessage(response, { ...key, name: 'other-key' }, { now: tsig.timeSigned, requestMac: tsig.mac })).toMatchObject({ ok: false, problem: 'bad-key' });
    expect(verifyMessage(response, { ...key, algorithm: 'hmac-sha512' }, { now: tsig.timeSigned, requestMac: tsig.mac })).toMatchObject({ ok: false, problem: 'bad-key' });
    expect(verifyMessage(response, key, { now: tsig.timeSigned + 301, requestMac: tsig.mac })).toMatchObject({ ok: false, problem: 'bad-time' });
    expect(verifyMessage(response, key, { now: tsig.timeSigned + 300, requestMac: tsig.mac })).toMatchObject({ ok: true });
  });
});

describe('signMessage / verifyMessage', () => {
  const base = encodeUpdate(requestUpdate);

  it.each(Object.keys(TSIG_ALGORITHMS) as (keyof typeof TSIG_ALGORITHMS)[])('round-trips with %s', (algorithm) => {
    const k: TsigKey = { name: 'Key.Example', algorithm, secret: Buffer.from('secret-of-some-length-1234567890') };
    const req = signMessage(base, k, { timeSigned: 1_700_000_000 });
    expect(verifyMessage(req.message, k, { now: 1_700_000_010 })).toMatchObject({ ok: true });
    // An answer signed over the request MAC verifies only with that MAC.
    const answer = Buffer.from(base);
    answer.writeUInt16BE(answer.readUInt16BE(2) | 0x8000, 2);
    const signedAnswer = signMessage(answer, k, { timeSigned: 1_700_000_001, requestMac: req.mac });
    expect(verifyMessage(signedAnswer.message, k, { now: 1_700_000_001, requestMac: req.mac })).toMatchObject({ ok: true });
    expect(verifyMessage(signedAnswer.message, k, { now: 1_700_000_001 })).toMatchObject({ ok: false, problem: 'bad-sig' });
  });

  /** The message with its TSIG MAC replaced (MAC size and RDLENGTH adjusted). */
  function replaceMac(message: Buffer, mac: Buffer): Buffer {
    const span = scanMessage(message).records.at(-1)!;
    const macSizeAt = span.rdataOffset + 'hmac-sha256'.length + 2 + 8;
    const oldSize = message.readUInt16BE(macSizeAt);
    const out = Buffer.concat([message.subarray(0, macSizeAt), Buffer.from([mac.length >> 8, mac.length & 0xff]), mac, message.subarray(macSizeAt + 2 + oldSize)]);
    out.writeUInt16BE(span.rdlength - oldSize + mac.length, span.rdataOffset - 2);
    return out;
  }

  it('reports an unsigned error answer (BADSIG with an empty MAC) as unsigned-error', () => {
    // A server that cannot verify the request answers with an empty MAC (RFC 8945 §5.3.2).
    const signed = signMessage(base, key, { timeSigned: 1_700_000_000, error: 16 });
    expect(verifyMessage(replaceMac(signed.message, Buffer.alloc(0)), key, { now: 1_700_000_000 })).toMatchObject({ ok: false, problem: 'unsigned-error' });
  });

  it('refuses a MAC truncated below max(10, L/2) bytes (RFC 8945 §5.2.2.1), accepts one at the limit', () => {
    const signed = signMessage(base, key, { timeSigned: 1_700_000_000 });
    expect(verifyMessage(replaceMac(signed.message, signed.mac.subarray(0, 8)), key, { now: 1_700_000_000 })).toMatchObject({ ok: false, problem: 'bad-truncation' });
    expect(verifyMessage(replaceMac(signed.message, signed.mac.subarray(0, 16)), key, { now: 1_700_000_000 })).toMatchObject({ ok: true });
    expect(verifyMessage(replaceMac(signed.message, Buffer.alloc(16)), key, { now: 1_700_000_000 })).toMatchObject({ ok: false, problem: 'bad-sig' });
  });

  it('says "missing" for an unsigned message and refuses a TSIG that is not last', () => {
    expect(verifyMessage(base, key, { now: 0 })).toMatchObject({ ok: false, problem: 'missing' });
    const signed = signMessage(base, key, { timeSigned: 1 }).message;
    const twice = signMessage(signed, key, { timeSigned: 1 }).message;
    expect(() => readTsig(twice)).toThrow(DnsWireError);
  });

  it('parses algorithm spellings', () => {
    expect(tsigAlgorithm('HMAC-SHA256.')).toBe('hmac-sha256');
    expect(tsigAlgorithm('hmac-md5')).toBeUndefined();
  });
});
