import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequestStub, decodeResponseStub } from '../ndr/kms-stub.codec.js';
import { loadAllVectors, loadVector, type CapturedExchange } from '../testing/vectors.js';
import { KmsProtocolError } from '../wire/errors.js';
import { toHex } from '../wire/hex.js';
import { KMS_INTERFACE, NDR32_SYNTAX, NDR64_SYNTAX, NcaStatus, btfnSyntax } from './constants.js';
import { parsePdu, serializePdu } from './pdu.codec.js';
import type { RpcPdu } from './pdu.types.js';
import { RpcServerConnection, type RpcServerEvent, type RpcServerOptions } from './server-connection.js';

const assocOf = (x: CapturedExchange) => {
  const ack = parsePdu(x.pdus[1]!.bytes);
  if (ack.kind !== 'bind_ack') throw new Error('second PDU is not a bind_ack');
  return ack.assocGroupId;
};

const serverFor = (x: CapturedExchange, more: Partial<RpcServerOptions> = {}) =>
  new RpcServerConnection({ ndr64: true, btfn: true, secondaryAddress: '11692', assocGroupId: assocOf(x), maxPduSize: 5840, ...more });

const sends = (evs: RpcServerEvent[]) => evs.flatMap((e) => (e.kind === 'send' ? [parsePdu(e.bytes)] : []));
const closeOf = (evs: RpcServerEvent[]) => evs.find((e) => e.kind === 'close') as Extract<RpcServerEvent, { kind: 'close' }> | undefined;

describe('RpcServerConnection replays the captures byte-exactly', () => {
  for (const x of loadAllVectors()) {
    it(x.name, () => {
      const conn = serverFor(x);
      const served = x.pdus.filter((p) => p.dir === 'S').map((p) => toHex(p.bytes));
      const produced: string[] = [];
      let calls = 0;
      for (const p of x.pdus.filter((q) => q.dir === 'C')) {
        const req = parsePdu(p.bytes);
        for (const ev of conn.receive(p.bytes)) {
          expect(ev.kind).not.toBe('close');
          if (ev.kind === 'send') produced.push(toHex(ev.bytes));
          if (ev.kind !== 'call') continue;
          calls++;
          if (req.kind !== 'request') throw new Error('call without request');
          // NDR64 is context 1 whenever the bind offered it (alter_context then brings NDR32 back on 0).
          const ndr64 = x.pdus.some((q) => parsePdu(q.bytes).kind === 'alter_context') && req.contextId === 1;
          expect(ev).toMatchObject({ callId: req.callId, contextId: req.contextId, syntax: ndr64 ? 'ndr64' : 'ndr32' });
          expect(toHex(ev.payload)).toBe(toHex(req.stub.subarray(ndr64 ? 16 : 8)));
          expect([252, 260]).toContain(ev.payload.length);
          // answer with the KMS payload (or HRESULT) the capture carries
          const captured = parsePdu(Buffer.from(served[produced.length]!, 'hex'));
          if (captured.kind !== 'response') throw new Error('expected a response');
          produced.push(toHex(conn.respond(ev.callId, decodeResponseStub(captured.stub, ev.syntax))));
        }
      }
      expect(calls).toBe(x.pdus.filter((p) => parsePdu(p.bytes).kind === 'request').length);
      expect(produced).toEqual(served);
    });
  }

  it('feeds the whole client stream of a capture in one chunk', () => {
    const x = loadVector('v5-win8ent-ndr64-btfn-2req');
    const conn = serverFor(x);
    const evs = conn.receive(Buffer.concat(x.pdus.filter((p) => p.dir === 'C').map((p) => p.bytes)));
    expect(evs.map((e) => e.kind)).toEqual(['send', 'send', 'call', 'call']);
  });
});

describe('presentation context negotiation', () => {
  const bind = (contexts: { id: number; iface?: typeof KMS_INTERFACE; ts: (typeof NDR32_SYNTAX)[] }[], flags = 0x13): Uint8Array =>
    serializePdu({
      kind: 'bind',
      flags,
      callId: 2,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0,
      contexts: contexts.map((c) => ({ contextId: c.id, abstractSyntax: c.iface ?? KMS_INTERFACE, transferSyntaxes: c.ts })),
    });
  const server = (o: Partial<RpcServerOptions> = {}) =>
    new RpcServerConnection({ ndr64: true, btfn: true, secondaryAddress: '1688', assocGroupId: 7, maxPduSize: 5840, ...o });
  const ackOf = (evs: RpcServerEvent[]) => {
    const [ack] = sends(evs);
    if (ack?.kind !== 'bind_ack') throw new Error(`expected bind_ack, got ${ack?.kind}`);
    return ack;
  };

  it('-N0 -B0: NDR64 and BTFN rejected with reason 2, NDR32 accepted', () => {
    const ack = ackOf(server({ ndr64: false, btfn: false }).receive(bind([{ id: 0, ts: [NDR32_SYNTAX] }, { id: 1, ts: [NDR64_SYNTAX] }, { id: 2, ts: [btfnSyntax(3)] }])));
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([[0, 0], [2, 2], [2, 2]]);
  });

  it('unknown interface: provider_rejection, abstract syntax not supported', () => {
    const other = { uuid: '12345678-1234-abcd-ef00-0123456789ab' as typeof KMS_INTERFACE.uuid, version: 1 };
    const ack = ackOf(server().receive(bind([{ id: 0, iface: other, ts: [NDR32_SYNTAX] }])));
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([[2, 1]]);
  });

  it('wrong interface version is another interface', () => {
    const ack = ackOf(server().receive(bind([{ id: 0, iface: { ...KMS_INTERFACE, version: 2 }, ts: [NDR32_SYNTAX] }])));
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([[2, 1]]);
  });

  it('BTFN features are masked to 0x3; multiplex flag mirrored; secondary address and pad', () => {
    const evs = server().receive(bind([{ id: 0, ts: [NDR32_SYNTAX] }, { id: 1, ts: [btfnSyntax(0xff)] }], 0x03));
    const ack = ackOf(evs);
    expect(ack.flags).toBe(0x03);
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([[0, 0], [3, 3]]);
    expect(Buffer.from(ack.secondaryAddress).toString('latin1')).toBe('1688\0');
    expect(toHex(ack.secondaryAddressPad)).toBe('00');
    expect(ack.assocGroupId).toBe(7);
  });

  it('clamps max_xmit/max_recv like Windows', () => {
    const pdu = (x: number, r: number) =>
      serializePdu({ kind: 'bind', flags: 3, callId: 2, maxXmitFrag: x, maxRecvFrag: r, assocGroupId: 0, contexts: [{ contextId: 0, abstractSyntax: KMS_INTERFACE, transferSyntaxes: [NDR32_SYNTAX] }] });
    expect(ackOf(server().receive(pdu(65535, 4281))).maxXmitFrag).toBe(4280);
    expect(ackOf(server().receive(pdu(1024, 1024))).maxRecvFrag).toBe(2048);
    expect(ackOf(server().receive(pdu(65535, 65535))).maxRecvFrag).toBe(5840);
  });

  it('a bind offering nothing acceptable is acked with rejections; a request then faults unk_if', () => {
    const conn = server({ ndr64: false });
    const ack = ackOf(conn.receive(bind([{ id: 0, ts: [NDR64_SYNTAX] }])));
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([[2, 2]]);
    expect(conn.closed).toBe(false);
    const stub = Uint8Array.of(4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4);
    const evs = conn.receive(serializePdu({ kind: 'request', flags: 3, callId: 2, allocHint: 12, contextId: 0, opnum: 0, stub }));
    expect(sends(evs)).toMatchObject([{ kind: 'fault', status: NcaStatus.unk_if }]);
  });

  it('NDR64 alone is accepted when enabled', () => {
    const ack = ackOf(server().receive(bind([{ id: 0, ts: [NDR64_SYNTAX] }])));
    expect(ack.results).toEqual([{ result: 0, reason: 0, transferSyntax: NDR64_SYNTAX }]);
  });
});

describe('RpcServerConnection refuses malformed or out-of-order input', () => {
  const x = loadVector('v4-win7pro-ndr64-btfn-2req');
  const [bind, , alter, , req1, , req2] = x.pdus.map((p) => p.bytes);
  const patch = (b: Uint8Array, at: number, ...v: number[]) => {
    const c = Uint8Array.from(b);
    c.set(v, at);
    return c;
  };
  const bound = () => {
    const conn = serverFor(x);
    conn.receive(bind!);
    conn.receive(alter!);
    return conn;
  };
  /** Runs input through a connection; expects exactly one reply PDU then close, returns both. */
  const refuse = (conn: RpcServerConnection, input: Uint8Array) => {
    const evs = conn.receive(input);
    const out = sends(evs);
    const close = closeOf(evs);
    expect(evs.at(-1)?.kind).toBe('close');
    expect(out.length).toBe(1);
    expect(conn.closed).toBe(true);
    expect(conn.receive(req1!)).toEqual([]); // ignores everything afterwards
    return { reply: out[0]!, error: close!.error };
  };
  const expectFault = (reply: RpcPdu, status: number, callId = 2, contextId = 0) =>
    expect(reply).toMatchObject({ kind: 'fault', flags: 0x23, callId, status, contextId, allocHint: 32 });

  it('request before bind: fault nca_s_proto_error', () => {
    const { reply, error } = refuse(serverFor(x), req1!);
    expectFault(reply, NcaStatus.proto_error);
    expect(error).toMatchObject({ code: 'PDU_TYPE', offset: 2 });
  });

  it('alter_context before bind: fault nca_s_proto_error', () => {
    const { reply, error } = refuse(serverFor(x), alter!);
    expectFault(reply, NcaStatus.proto_error);
    expect(error).toMatchObject({ code: 'PDU_TYPE', offset: 2 });
  });

  it('second bind: bind_nak reason 0', () => {
    const conn = serverFor(x);
    conn.receive(bind!);
    const { reply, error } = refuse(conn, bind!);
    expect(reply).toMatchObject({ kind: 'bind_nak', callId: 2, rejectReason: 0, versions: [{ major: 5, minor: 0 }] });
    expect(serializePdu(reply).length).toBe(24);
    expect(error).toMatchObject({ code: 'PDU_TYPE', offset: 2 });
  });

  it('bind with no contexts: bind_nak reason 0', () => {
    const empty = serializePdu({ kind: 'bind', flags: 3, callId: 9, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [] });
    const { reply, error } = refuse(serverFor(x), empty);
    expect(reply).toMatchObject({ kind: 'bind_nak', callId: 9, rejectReason: 0 });
    expect(error).toMatchObject({ code: 'BAD_VALUE', offset: 24 });
  });

  it('unknown context id: fault nca_unk_if', () => {
    const { reply, error } = refuse(bound(), patch(req1!, 20, 7));
    expectFault(reply, NcaStatus.unk_if);
    expect(error).toMatchObject({ code: 'BAD_VALUE', offset: 20 });
  });

  it('NDR64 context used before the bind accepted it is unknown (N0 host)', () => {
    const conn = serverFor(x, { ndr64: false });
    conn.receive(bind!);
    const { reply } = refuse(conn, req2!);
    expectFault(reply, NcaStatus.unk_if, 3);
  });

  it('wrong opnum: fault nca_op_rng_error on the request context', () => {
    const { reply, error } = refuse(bound(), patch(req2!, 22, 1));
    expectFault(reply, NcaStatus.op_rng_error, 3, 1);
    expect(error).toMatchObject({ code: 'BAD_VALUE', offset: 22 });
  });

  it('len != size_is: fault bad stub data, error at the PDU offset of size_is', () => {
    const { reply, error } = refuse(bound(), patch(req1!, 28, 0xfb));
    expectFault(reply, NcaStatus.bad_stub_data);
    expect(error).toMatchObject({ code: 'STUB_LENGTH', offset: 28 });
  });

  it('len larger than the stub (NDR64)', () => {
    const big = patch(req2!, 24, 0xff, 0x01);
    big.set([0xff, 0x01], 32);
    const { reply, error } = refuse(bound(), big);
    expectFault(reply, NcaStatus.bad_stub_data, 3, 1);
    expect(error).toMatchObject({ code: 'STUB_LENGTH', offset: 40 });
  });

  it('wrong RPC version on a bind: bind_nak reason 4', () => {
    const { reply, error } = refuse(serverFor(x), patch(bind!, 0, 4));
    expect(reply).toMatchObject({ kind: 'bind_nak', callId: 2, rejectReason: 4 });
    expect(error).toMatchObject({ code: 'RPC_VERSION', offset: 0 });
  });

  it('auth_length set on a bind: bind_nak reason 8', () => {
    const { reply, error } = refuse(serverFor(x), patch(bind!, 10, 8));
    expect(reply).toMatchObject({ kind: 'bind_nak', rejectReason: 8 });
    expect(error).toMatchObject({ code: 'AUTH', offset: 10 });
  });

  it('auth_length set on a request: fault proto_error', () => {
    const { reply, error } = refuse(bound(), patch(req1!, 10, 8));
    expectFault(reply, NcaStatus.proto_error);
    expect(error).toMatchObject({ code: 'AUTH', offset: 10 });
  });

  it('frag_length too small, in the stream after the bind: reported at the stream offset', () => {
    const conn = serverFor(x);
    const evs = conn.receive(Buffer.concat([bind!, patch(alter!, 8, 4, 0)]));
    expect(sends(evs).map((p) => p.kind)).toEqual(['bind_ack', 'fault']);
    expect(closeOf(evs)?.error).toMatchObject({ code: 'FRAG_LENGTH', offset: 160 + 8 });
  });

  it('frag_length too large', () => {
    const { reply, error } = refuse(serverFor(x, { maxPduSize: 100 }), bind!);
    expect(reply).toMatchObject({ kind: 'bind_nak', rejectReason: 4 });
    expect(error).toMatchObject({ code: 'FRAG_LENGTH', offset: 8 });
  });

  it('unknown PDU type: fault proto_error', () => {
    const { reply, error } = refuse(serverFor(x), patch(req1!, 2, 17));
    expectFault(reply, NcaStatus.proto_error);
    expect(error).toMatchObject({ code: 'PDU_TYPE', offset: 2 });
  });

  it('a server-side PDU type from the client: fault proto_error', () => {
    const { reply } = refuse(bound(), x.pdus[5]!.bytes);
    expectFault(reply, NcaStatus.proto_error);
  });

  it('truncated body (frag_length says more than the PDU holds)', () => {
    const cut = patch(req1!.subarray(0, 22), 8, 22, 0);
    const { reply, error } = refuse(bound(), cut);
    expectFault(reply, NcaStatus.proto_error);
    expect(error).toMatchObject({ code: 'TRUNCATED', offset: 22 });
  });

  it('fragmented request: fault proto_error', () => {
    const { error } = refuse(bound(), patch(req1!, 3, 0x01));
    expect(error).toMatchObject({ code: 'FRAGMENTED', offset: 3 });
  });

  it('duplicate pending call id', () => {
    const conn = bound();
    expect(conn.receive(req1!).map((e) => e.kind)).toEqual(['call']);
    const { reply, error } = refuse(conn, req1!);
    expectFault(reply, NcaStatus.proto_error);
    expect(error).toMatchObject({ code: 'BAD_VALUE', offset: 12 });
  });

  it('respond() for an unknown call id is a caller bug', () => {
    expect(() => bound().respond(42, { kind: 'error', hresult: 1 })).toThrow(/no pending call/);
  });
});

describe('RpcServerConnection fuzz', () => {
  it('receive() never throws, whatever the bytes and chunking', () => {
    const x = loadVector('v6-win10ent-ndr64-btfn-2req');
    const prefix = Buffer.concat(x.pdus.filter((p) => p.dir === 'C').slice(0, 2).map((p) => p.bytes));
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 12 }), (bindFirst, chunks) => {
        const conn = serverFor(x);
        if (bindFirst) conn.receive(prefix);
        for (const c of chunks) {
          const evs = conn.receive(c);
          const close = closeOf(evs);
          if (close?.error) expect(close.error).toBeInstanceOf(KmsProtocolError);
          expect(close?.reason ?? '').not.toMatch(/internal error/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated capture PDUs never make receive() throw', () => {
    const x = loadVector('v4-win7pro-ndr64-btfn-2req');
    const client = x.pdus.filter((p) => p.dir === 'C').map((p) => p.bytes);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: client.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), (i, edits) => {
        const conn = serverFor(x);
        for (let k = 0; k < i; k++) conn.receive(client[k]!);
        const b = Uint8Array.from(client[i]!);
        for (const [at, v] of edits) b[at % b.length] = v;
        const evs = conn.receive(b);
        expect(closeOf(evs)?.reason ?? '').not.toMatch(/internal error/);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes what it accepted exactly as the stub decoder does', () => {
    const x = loadVector('v4-srv2008r2dc-ndr32-btfn');
    const conn = serverFor(x);
    conn.receive(x.pdus[0]!.bytes);
    const [call] = conn.receive(x.pdus[2]!.bytes);
    const req = parsePdu(x.pdus[2]!.bytes);
    if (call?.kind !== 'call' || req.kind !== 'request') throw new Error('no call');
    expect(call.payload).toEqual(decodeRequestStub(req.stub, 'ndr32'));
  });
});
