import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAllVectors, loadVector } from '../testing/vectors.js';
import { KmsProtocolError } from '../wire/errors.js';
import { fromHex, toHex } from '../wire/hex.js';
import type { Guid } from '../wire/guid.js';
import { ContextResult, KMS_INTERFACE, NDR32_SYNTAX, NDR64_SYNTAX, NIL_SYNTAX, PfcFlags, btfnSyntax, type SyntaxId } from './constants.js';
import { encodingLength, parsePdu, serializePdu } from './pdu.codec.js';
import type { ContextResultItem, PresentationContext, RpcPdu } from './pdu.types.js';

const expectError = (f: () => unknown, code: string, offset: number) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KmsProtocolError);
    expect({ code: (e as KmsProtocolError).code, offset: (e as KmsProtocolError).offset }).toEqual({ code, offset });
    return;
  }
  throw new Error(`expected ${code} at ${offset}`);
};

describe('parsePdu / serializePdu on the captures', () => {
  for (const x of loadAllVectors()) {
    it(`${x.name}: every PDU parses and re-encodes byte-identically`, () => {
      for (const p of x.pdus) {
        const pdu = parsePdu(p.bytes);
        expect(encodingLength(pdu)).toBe(p.bytes.length);
        expect(toHex(serializePdu(pdu))).toBe(toHex(p.bytes));
      }
    });
  }

  it('decodes the v4 NDR64 exchange field by field (decoded.txt)', () => {
    const pdus = loadVector('v4-win7pro-ndr64-btfn-2req').pdus.map((p) => parsePdu(p.bytes));
    const at = (i: number): RpcPdu => pdus[i]!;
    const [bind, ack, alter, alterResp, req1, resp1, req2] = [at(0), at(1), at(2), at(3), at(4), at(5), at(6)];
    expect(bind).toMatchObject({ kind: 'bind', flags: 0x13, callId: 2, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0 });
    expect(bind.kind === 'bind' && bind.contexts).toEqual([
      { contextId: 0, abstractSyntax: KMS_INTERFACE, transferSyntaxes: [NDR32_SYNTAX] },
      { contextId: 1, abstractSyntax: KMS_INTERFACE, transferSyntaxes: [NDR64_SYNTAX] },
      { contextId: 2, abstractSyntax: KMS_INTERFACE, transferSyntaxes: [btfnSyntax(3)] },
    ]);
    expect(ack).toMatchObject({ kind: 'bind_ack', flags: 0x13, assocGroupId: 0xc5b41ff4 });
    if (ack.kind !== 'bind_ack') throw new Error('not a bind_ack');
    expect(Buffer.from(ack.secondaryAddress).toString('latin1')).toBe('11692\0');
    expect(ack.secondaryAddressPad.length).toBe(0);
    expect(ack.results).toEqual([
      { result: ContextResult.provider_rejection, reason: 2, transferSyntax: NIL_SYNTAX },
      { result: ContextResult.acceptance, reason: 0, transferSyntax: NDR64_SYNTAX },
      { result: ContextResult.negotiate_ack, reason: 3, transferSyntax: NIL_SYNTAX },
    ]);
    expect(alter).toMatchObject({ kind: 'alter_context', flags: 0x13, callId: 2 });
    expect(alterResp).toMatchObject({ kind: 'alter_context_resp', flags: 0x03, assocGroupId: 0xc5b41ff4 });
    if (alterResp.kind !== 'alter_context_resp') throw new Error('not an alter_context_resp');
    expect(toHex(alterResp.secondaryAddressPad)).toBe('3131');
    expect(alterResp.results).toEqual([{ result: 0, reason: 0, transferSyntax: NDR32_SYNTAX }]);
    expect(req1).toMatchObject({ kind: 'request', callId: 2, allocHint: 260, contextId: 0, opnum: 0 });
    expect(resp1).toMatchObject({ kind: 'response', callId: 2, allocHint: 176, contextId: 0, cancelCount: 0 });
    expect(req2).toMatchObject({ kind: 'request', callId: 3, allocHint: 268, contextId: 1, opnum: 0 });
  });
});

describe('parsePdu rejects malformed PDUs with code and offset', () => {
  const bind = loadVector('v4-win7pro-ndr64-btfn-2req').pdus[0]!.bytes;
  const request = loadVector('v4-win7pro-ndr64-btfn-2req').pdus[4]!.bytes;
  const patch = (b: Uint8Array, at: number, ...v: number[]) => {
    const c = Uint8Array.from(b);
    c.set(v, at);
    return c;
  };

  it('truncated header', () => expectError(() => parsePdu(bind.subarray(0, 10)), 'TRUNCATED', 0));
  it('truncated body (fewer bytes than frag_length)', () => expectError(() => parsePdu(bind.subarray(0, 100)), 'TRUNCATED', 100));
  it('bytes after frag_length', () => expectError(() => parsePdu(Buffer.concat([bind, new Uint8Array(1)])), 'FRAG_LENGTH', 160));
  it('frag_length too small', () => expectError(() => parsePdu(patch(bind, 8, 15, 0)), 'FRAG_LENGTH', 8));
  it('frag_length short of the body (context list cut)', () =>
    expectError(() => parsePdu(patch(bind, 8, 100, 0).subarray(0, 100)), 'TRUNCATED', 96)); // ctx 1's transfer syntax starts at 96
  it('unknown PDU type', () => expectError(() => parsePdu(patch(bind, 2, 17)), 'PDU_TYPE', 2));
  it('wrong RPC version', () => expectError(() => parsePdu(patch(bind, 0, 4)), 'RPC_VERSION', 0));
  it('wrong RPC minor version', () => expectError(() => parsePdu(patch(bind, 1, 1)), 'RPC_VERSION', 1));
  it('big-endian drep', () => expectError(() => parsePdu(patch(bind, 4, 0)), 'DREP', 4));
  it('auth_length set', () => expectError(() => parsePdu(patch(request, 10, 16)), 'AUTH', 10));
  it('request too short for its fixed fields', () => {
    const short = patch(request.subarray(0, 22), 8, 22, 0);
    expectError(() => parsePdu(short), 'TRUNCATED', 22); // opnum
  });
  it('bind_ack with a secondary address running past the end', () =>
    expectError(() => parsePdu(fromHex('05000c031000000020000000020000000000000000000000ff00000000000000')), 'TRUNCATED', 26));
});

// fast-check generators for valid PDUs
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const guid = fc.uuid().map((s) => s.toLowerCase() as Guid);
const syntax: fc.Arbitrary<SyntaxId> = fc.record({ uuid: guid, version: u32 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const context: fc.Arbitrary<PresentationContext> = fc.record({
  contextId: u16,
  abstractSyntax: syntax,
  transferSyntaxes: fc.array(syntax, { maxLength: 3 }),
});
const result: fc.Arbitrary<ContextResultItem> = fc.record({ result: u16, reason: u16, transferSyntax: syntax });
const common = { callId: u32 };

const bindLike = (kind: 'bind' | 'alter_context') =>
  fc.record({ kind: fc.constant(kind), flags: u8, ...common, maxXmitFrag: u16, maxRecvFrag: u16, assocGroupId: u32, contexts: fc.array(context, { maxLength: 4 }) });

const ackLike = (kind: 'bind_ack' | 'alter_context_resp') =>
  fc
    .record({ flags: u8, ...common, maxXmitFrag: u16, maxRecvFrag: u16, assocGroupId: u32, secondaryAddress: bytes(12), padSeed: bytes(3), results: fc.array(result, { maxLength: 4 }) })
    .map(({ padSeed, ...r }) => {
      const need = (4 - ((26 + r.secondaryAddress.length) % 4)) % 4;
      const pad = new Uint8Array(need);
      pad.set(padSeed.subarray(0, need));
      return { kind, ...r, secondaryAddressPad: pad };
    });

const arbPdu: fc.Arbitrary<RpcPdu> = fc.oneof(
  bindLike('bind'),
  bindLike('alter_context'),
  ackLike('bind_ack'),
  ackLike('alter_context_resp'),
  fc.record({ kind: fc.constant('bind_nak' as const), flags: u8, ...common, rejectReason: u16, versions: fc.array(fc.record({ major: u8, minor: u8 }), { maxLength: 3 }), trailer: bytes(8) }),
  fc
    .record({ flags: u8, ...common, allocHint: u32, contextId: u16, opnum: u16, objectUuid: guid, stub: bytes(64) })
    .map(({ objectUuid, ...r }) =>
      r.flags & PfcFlags.OBJECT_UUID ? { kind: 'request' as const, ...r, objectUuid } : { kind: 'request' as const, ...r },
    ),
  fc.record({ kind: fc.constant('response' as const), flags: u8, ...common, allocHint: u32, contextId: u16, cancelCount: u8, stub: bytes(64) }),
  fc.record({ kind: fc.constant('fault' as const), flags: u8, ...common, allocHint: u32, contextId: u16, cancelCount: u8, faultFlags: u8, status: u32, stub: bytes(16) }),
);

describe('round trip (fast-check)', () => {
  it('random valid PDUs re-encode identically, also via a framer-sized copy', () => {
    fc.assert(
      fc.property(arbPdu, (pdu: RpcPdu) => {
        const bytes = serializePdu(pdu);
        expect(bytes.length).toBe(encodingLength(pdu));
        const again = parsePdu(bytes);
        expect(again).toEqual(pdu);
        expect(toHex(serializePdu(again))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes never throw anything but KmsProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (raw, fix) => {
        const b = Uint8Array.from(raw);
        if (fix && b.length >= 16) {
          // make the header plausible so the body decoders get exercised
          b.set([5, 0], 0);
          b[2] = [0, 2, 3, 11, 12, 13, 14, 15][b[2]! % 8]!;
          b.set([0x10, 0, 0, 0], 4);
          b.set([b.length & 0xff, b.length >> 8, 0, 0], 8);
        }
        try {
          parsePdu(b);
        } catch (e) {
          expect(e).toBeInstanceOf(KmsProtocolError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
