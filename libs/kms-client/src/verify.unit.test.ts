import { describe, expect, it } from 'vitest';
import {
  KmsProtocolError,
  NDR32_SYNTAX,
  NDR64_SYNTAX,
  NIL_SYNTAX,
  decodeResponseStub,
  encodeErrorStub,
  encodeResponseStub,
  type BindAckPdu,
  type ResponsePdu,
} from './protocol.js';
import { checkAlterContextResp, checkBindAck, checkFromKmsError, checkResponsePdu, proposedContexts } from './verify.js';

const ALL = { ndr32: true, ndr64: true, btfn: true, multiplex: true };
const failed = (checks: { name: string; ok: boolean; detail?: string }[]) => checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

// What vlmcsd answers to vlmcs' bind (captures v6-win10ent-ndr64-btfn-2req): NDR32 rejected, NDR64 accepted, BTFN 0x3.
const msAck: BindAckPdu = {
  kind: 'bind_ack',
  flags: 0x13,
  callId: 2,
  maxXmitFrag: 5840,
  maxRecvFrag: 5840,
  assocGroupId: 0xc5b41ff4,
  secondaryAddress: new TextEncoder().encode('11692\0'),
  secondaryAddressPad: new Uint8Array(0),
  results: [
    { result: 2, reason: 2, transferSyntax: NIL_SYNTAX },
    { result: 0, reason: 0, transferSyntax: NDR64_SYNTAX },
    { result: 3, reason: 3, transferSyntax: NIL_SYNTAX },
  ],
};

describe('checkBindAck', () => {
  it('passes the Microsoft-style bind_ack', () => {
    const checks = checkBindAck(msAck, { callId: 2, rpc: ALL });
    expect(checks.map((c) => c.name)).toEqual(['bind-ack-call-id', 'bind-ack-flags', 'bind-ack-ndr32', 'bind-ack-ndr64', 'bind-ack-btfn']);
    expect(failed(checks)).toEqual([]);
  });

  it('flags what a sloppy emulator gets wrong', () => {
    const sloppy: BindAckPdu = {
      ...msAck,
      flags: 0x03, // multiplex not mirrored
      callId: 1,
      results: [
        { result: 2, reason: 1, transferSyntax: NDR32_SYNTAX },
        { result: 0, reason: 7, transferSyntax: NDR64_SYNTAX },
        { result: 3, reason: 1, transferSyntax: NIL_SYNTAX },
      ],
    };
    expect(failed(checkBindAck(sloppy, { callId: 2, rpc: ALL }))).toEqual([
      'bind-ack-call-id: sent call id 2, answer has 1',
      'bind-ack-flags: 0x03: PFC_CONC_MPX clear but the bind had it set',
      'bind-ack-ndr32: rejected: transfer syntax not the nil GUID v0; reason 1, expected 2 (proposed_transfer_syntaxes_not_supported)',
      'bind-ack-ndr64: accepted with reason 7, Microsoft sends 0',
      'bind-ack-btfn: negotiate_ack features 0x01, expected 0x3',
    ]);
    expect(failed(checkBindAck({ ...msAck, results: msAck.results.slice(0, 2) }, { callId: 2, rpc: ALL }))).toEqual([
      'bind-ack-results: 2 results for 3 proposed contexts',
    ]);
  });

  it('matches the proposal to the options, and checks the alter_context_resp', () => {
    expect(proposedContexts({ ndr32: true, ndr64: false, btfn: true, multiplex: false })).toEqual(['ndr32', 'btfn']);
    const ndr32Only: BindAckPdu = { ...msAck, flags: 0x03, results: [{ result: 0, reason: 0, transferSyntax: NDR32_SYNTAX }] };
    expect(failed(checkBindAck(ndr32Only, { callId: 2, rpc: { ndr32: true, ndr64: false, btfn: false, multiplex: false } }))).toEqual([]);
    const alter = { ...ndr32Only, kind: 'alter_context_resp' as const, secondaryAddress: new Uint8Array(0), secondaryAddressPad: new Uint8Array(2) };
    expect(failed(checkAlterContextResp(alter, { callId: 2 }))).toEqual([]);
    expect(failed(checkAlterContextResp({ ...alter, flags: 0x13 }, { callId: 2 }))).toEqual([
      'alter-context-flags: 0x13: PFC_CONC_MPX set outside bind_ack',
    ]);
  });
});

describe('checkResponsePdu', () => {
  const payload = new Uint8Array(260).fill(7);
  const pdu = (stub: Uint8Array, over: Partial<ResponsePdu> = {}): ResponsePdu => ({
    kind: 'response',
    flags: 0x03,
    callId: 3,
    allocHint: stub.length,
    contextId: 1,
    cancelCount: 0,
    stub,
    ...over,
  });
  const sent = { callId: 3, contextId: 1, syntax: 'ndr64' as const };

  it('passes well-formed success and error stubs in both syntaxes', () => {
    for (const syntax of ['ndr32', 'ndr64'] as const) {
      for (const stub of [encodeResponseStub(payload, syntax), encodeResponseStub(payload.subarray(0, 161), syntax), encodeErrorStub(0xc004f042, syntax)]) {
        const s = { ...sent, syntax };
        expect(failed(checkResponsePdu(pdu(stub), s, decodeResponseStub(stub, syntax)))).toEqual([]);
      }
    }
  });

  it('flags a wrong alloc_hint, cancel count, flags, padding and trailing bytes', () => {
    const stub = encodeResponseStub(payload.subarray(0, 161), 'ndr64');
    const result = decodeResponseStub(stub, 'ndr64');
    expect(failed(checkResponsePdu(pdu(stub, { allocHint: 0, cancelCount: 1, flags: 0x13 }), sent, result))).toEqual([
      'response-flags: 0x13: PFC_CONC_MPX set outside bind_ack',
      'response-cancel-count: cancel_count 1',
      `response-alloc-hint: alloc_hint 0, stub is ${stub.length} bytes`,
    ]);
    const dirty = stub.slice();
    dirty[24 + 161] = 0xff; // first pad byte
    expect(failed(checkResponsePdu(pdu(dirty), sent, decodeResponseStub(dirty, 'ndr64')))).toEqual(['response-stub: padding before the HRESULT is not zero']);
    const long = new Uint8Array(stub.length + 4);
    long.set(stub);
    expect(failed(checkResponsePdu(pdu(long), sent, decodeResponseStub(long, 'ndr64')))).toEqual([
      `response-stub: stub of ${long.length} bytes, expected ${stub.length} for a 161-byte response`,
    ]);
    expect(failed(checkResponsePdu(pdu(stub, { contextId: 0 }), sent, result))).toEqual(['response-context: sent on context 1, answer on 0']);
  });
});

describe('checkFromKmsError', () => {
  it('names the check a crypto failure breaks', () => {
    expect(checkFromKmsError(new KmsProtocolError('BAD_HMAC', 'no slot', 244))).toEqual({ name: 'hmac', ok: false, detail: 'no slot (at offset 244)' });
    expect(checkFromKmsError(new KmsProtocolError('BAD_MAC', 'm', 1)).name).toBe('mac');
    expect(checkFromKmsError(new KmsProtocolError('TRUNCATED', 't', 1)).name).toBe('decode');
  });
});
