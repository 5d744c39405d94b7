import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePdu } from '../rpc/pdu.codec.js';
import { loadAllVectors } from '../testing/vectors.js';
import { KmsProtocolError } from '../wire/errors.js';
import { fromHex, toHex } from '../wire/hex.js';
import {
  decodeRequestStub,
  decodeResponseStub,
  encodeErrorStub,
  encodeRequestStub,
  encodeResponseStub,
  type StubSyntax,
} from './kms-stub.codec.js';

const caught = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KmsProtocolError);
    const err = e as KmsProtocolError;
    return { code: err.code, offset: err.offset };
  }
  throw new Error('expected a KmsProtocolError');
};

/** Request/response stubs of every capture with the syntax of their context (ctx 1 is NDR64 where negotiated). */
function capturedStubs() {
  const out: { name: string; kind: 'request' | 'response'; syntax: StubSyntax; stub: Uint8Array }[] = [];
  for (const x of loadAllVectors()) {
    const ndr64Ctx = x.pdus.some((p) => p.dir === 'S' && parsePdu(p.bytes).kind === 'alter_context_resp') ? 1 : -1;
    for (const p of x.pdus) {
      const pdu = parsePdu(p.bytes);
      if (pdu.kind === 'request' || pdu.kind === 'response') {
        out.push({ name: x.name, kind: pdu.kind, syntax: pdu.contextId === ndr64Ctx ? 'ndr64' : 'ndr32', stub: pdu.stub });
      }
    }
  }
  return out;
}

describe('KMS stubs on the captures', () => {
  const stubs = capturedStubs();

  it('finds NDR32 and NDR64 requests and responses, including error answers', () => {
    expect(stubs.filter((s) => s.syntax === 'ndr64').length).toBe(6);
    expect(stubs.length).toBe(22);
  });

  for (const s of stubs) {
    it(`${s.name} ${s.kind} ${s.syntax}: decodes and re-encodes byte-identically`, () => {
      if (s.kind === 'request') {
        const payload = decodeRequestStub(s.stub, s.syntax);
        expect([252, 260]).toContain(payload.length);
        expect(toHex(encodeRequestStub(payload, s.syntax))).toBe(toHex(s.stub));
      } else {
        const res = decodeResponseStub(s.stub, s.syntax);
        const again = res.kind === 'ok' ? encodeResponseStub(res.payload, s.syntax) : encodeErrorStub(res.hresult, s.syntax);
        if (res.kind === 'ok') expect([160, 228, 260]).toContain(res.payload.length);
        else expect(res.hresult).toBe(0x8007000d);
        expect(toHex(again)).toBe(toHex(s.stub));
      }
    });
  }
});

describe('stub layout', () => {
  it('error stubs: NDR32 len 0, NULL, HRESULT; NDR64 with 8-byte fields', () => {
    expect(toHex(encodeErrorStub(0x8007000d, 'ndr32'))).toBe('00000000000000000d000780');
    expect(toHex(encodeErrorStub(0x8007000d, 'ndr64'))).toBe('000000000000000000000000000000000d000780');
    expect(decodeResponseStub(fromHex('000000000000000000000000000000000d000780'), 'ndr64')).toEqual({ kind: 'error', hresult: 0x8007000d });
  });

  it('pads the payload to 4 bytes before the HRESULT', () => {
    const stub = encodeResponseStub(Uint8Array.of(1, 2, 3, 4, 5, 6), 'ndr32');
    expect(toHex(stub)).toBe('06000000' + '00000200' + '06000000' + '010203040506' + '0000' + '00000000');
    expect(decodeResponseStub(stub, 'ndr32')).toEqual({ kind: 'ok', payload: Uint8Array.of(1, 2, 3, 4, 5, 6) });
  });

  it('a payload with a failing HRESULT is an error', () => {
    expect(decodeResponseStub(fromHex('01000000000002000100000007000000050000c0'), 'ndr32')).toEqual({ kind: 'error', hresult: 0xc0000005 });
  });
});

describe('malformed stubs', () => {
  it('len != size_is', () => {
    expect(caught(() => decodeRequestStub(fromHex('0400000005000000aabbccdd'), 'ndr32'))).toEqual({ code: 'STUB_LENGTH', offset: 4 });
    expect(caught(() => decodeRequestStub(fromHex('04000000000000000500000000000000aabbccdd'), 'ndr64'))).toEqual({ code: 'STUB_LENGTH', offset: 8 });
  });
  it('len larger than the stub', () => {
    expect(caught(() => decodeRequestStub(fromHex('0500000005000000aabbccdd'), 'ndr32'))).toEqual({ code: 'STUB_LENGTH', offset: 8 });
    expect(caught(() => decodeRequestStub(fromHex('05000000000000000500000000000000aabb'), 'ndr64'))).toEqual({ code: 'STUB_LENGTH', offset: 16 });
  });
  it('negative / 64-bit lengths', () => {
    expect(caught(() => decodeRequestStub(fromHex('ffffffffffffffff'), 'ndr32'))).toEqual({ code: 'STUB_LENGTH', offset: 0 });
    expect(caught(() => decodeRequestStub(fromHex('0000000001000000' + '0000000001000000'), 'ndr64'))).toEqual({ code: 'STUB_LENGTH', offset: 0 });
  });
  it('truncated fixed fields', () => {
    expect(caught(() => decodeRequestStub(fromHex('040000'), 'ndr32'))).toEqual({ code: 'TRUNCATED', offset: 0 });
    expect(caught(() => decodeRequestStub(fromHex('0400000000000000040000'), 'ndr64'))).toEqual({ code: 'TRUNCATED', offset: 8 });
    expect(caught(() => decodeResponseStub(fromHex('0000000000000000'), 'ndr32'))).toEqual({ code: 'TRUNCATED', offset: 8 });
    expect(caught(() => decodeResponseStub(fromHex('020000000000020002000000aabb'), 'ndr32'))).toEqual({ code: 'TRUNCATED', offset: 14 });
  });
  it('response size mismatch', () => {
    expect(caught(() => decodeResponseStub(fromHex('020000000000020003000000aabbccdd00000000'), 'ndr32'))).toEqual({ code: 'STUB_LENGTH', offset: 8 });
  });
});

describe('stub fuzz', () => {
  const syntax = fc.constantFrom<StubSyntax>('ndr32', 'ndr64');
  it('random bytes only ever raise KmsProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), syntax, (b, s) => {
        for (const f of [() => decodeRequestStub(b, s), () => decodeResponseStub(b, s)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(KmsProtocolError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('encode/decode round trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), syntax, fc.integer({ min: 1, max: 0xffffffff }), (payload, s, hr) => {
        expect(decodeRequestStub(encodeRequestStub(payload, s), s)).toEqual(payload);
        expect(decodeResponseStub(encodeResponseStub(payload, s), s)).toEqual({ kind: 'ok', payload });
        expect(decodeResponseStub(encodeErrorStub(hr, s), s)).toEqual({ kind: 'error', hresult: hr });
      }),
    );
  });
});
