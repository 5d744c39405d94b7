import {
  decodeRequestStub,
  errorStubLength,
  responseStubLength,
  writeErrorStub,
  writeResponseStub,
} from '../ndr/kms-stub.codec.js';
import { Writer } from '../wire/cursor.js';
import { KmsProtocolError } from '../wire/errors.js';
import { BindNakReason, NcaStatus, PfcFlags, PduType, RPC_HEADER_LENGTH, type NdrSyntax } from './constants.js';
import { RpcFramer } from './framer.js';
import { negotiateContexts } from './negotiation.js';
import { parsePdu, serializePdu, writeRpcHeader } from './pdu.codec.js';
import type { AlterContextPdu, BindPdu, RequestPdu, RpcPdu } from './pdu.types.js';

export interface RpcServerOptions {
  /** Accept NDR64 (vlmcsd -N1; Microsoft hosts since Windows 8). */
  readonly ndr64: boolean;
  /** Acknowledge bind-time feature negotiation (vlmcsd -B1). */
  readonly btfn: boolean;
  /** The listening port as text; sent in bind_ack as ASCII + NUL (captures: "11692"). */
  readonly secondaryAddress: string;
  /** assoc_group_id of this connection's association (vlmcsd: one per connection). */
  readonly assocGroupId: number;
  /** Largest PDU accepted from the client. */
  readonly maxPduSize: number;
}

/** What the transport must do after feeding bytes in. */
export type RpcServerEvent =
  | { readonly kind: 'send'; readonly bytes: Uint8Array }
  /** A KMS request to answer with {@link RpcServerConnection.respond}. */
  | {
      readonly kind: 'call';
      readonly callId: number;
      readonly contextId: number;
      readonly syntax: NdrSyntax;
      readonly payload: Uint8Array;
    }
  /** Close the connection (after sending the preceding `send` events). */
  | { readonly kind: 'close'; readonly reason: string; readonly error?: KmsProtocolError };

/** Result of a KMS call: the response payload, or an HRESULT answered as an error stub. */
export type RpcCallResult =
  | { readonly kind: 'ok'; readonly payload: Uint8Array }
  | { readonly kind: 'error'; readonly hresult: number };

const FIRST_LAST = PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG;
/** MS-RPCE 2.2.2.8: extended error info length is alloc_hint - 0x20, so 32 means none (vlmcsd sends 32). */
const FAULT_ALLOC_HINT = 32;
/** Stub offset in a request PDU without object UUID: header + alloc_hint + p_cont_id + opnum. */
const REQUEST_STUB_OFFSET = RPC_HEADER_LENGTH + 8;
/** Stub offset in a response PDU: header + alloc_hint + p_cont_id + cancel_count + reserved. */
const RESPONSE_STUB_OFFSET = RPC_HEADER_LENGTH + 8;

/**
 * Host side of one KMS RPC connection as a pure state machine: feed it the
 * bytes read from the socket, carry out the events it returns. Answers bind
 * and alter_context itself; hands KMS requests out as `call` events.
 *
 * Protocol violations never throw: they produce the reject Microsoft-style
 * hosts send and a `close` event carrying the {@link KmsProtocolError}:
 * - bad header, body or stub: bind_nak (a bind; reason 4 protocol version not
 *   supported, or 8 when authentication is requested) or a fault
 *   nca_s_proto_error with PFC_DID_NOT_EXECUTE (anything else);
 * - second bind: bind_nak reason 0 (Samba, after testing Windows: one bind per
 *   connection); malformed context list: bind_nak reason 0 / proto_error fault;
 * - alter_context or request before bind, server-only PDU types, fragmented
 *   or duplicate calls: fault nca_s_proto_error;
 * - unknown context id: fault nca_unk_if; opnum other than 0: fault
 *   nca_op_rng_error; undecodable stub: fault RPC_X_BAD_STUB_DATA.
 * Windows keeps the connection after the last three call-level faults; we
 * close it too, since no KMS client can do anything useful after them.
 *
 * @example
 * const conn = new RpcServerConnection({ ndr64: true, btfn: true, secondaryAddress: '1688', assocGroupId, maxPduSize: 5840 });
 * for (const ev of conn.receive(chunk)) if (ev.kind === 'call') socket.write(conn.respond(ev.callId, await kms(ev.payload)));
 */
export class RpcServerConnection {
  private readonly opts: RpcServerOptions;
  private readonly framer: RpcFramer;
  private state: 'awaiting_bind' | 'bound' | 'closed' = 'awaiting_bind';
  private readonly contexts = new Map<number, NdrSyntax>();
  private readonly pending = new Map<number, { contextId: number; syntax: NdrSyntax }>();
  private maxFrag = 0;
  private readonly secAddr: Uint8Array;

  constructor(opts: RpcServerOptions) {
    this.opts = opts;
    this.framer = new RpcFramer({ maxPduSize: opts.maxPduSize });
    this.secAddr = secondaryAddressBytes(opts.secondaryAddress);
  }

  /** True once a `close` event was emitted; later input is ignored. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Feeds bytes from the socket; never throws. */
  receive(chunk: Uint8Array): RpcServerEvent[] {
    const events: RpcServerEvent[] = [];
    if (this.state === 'closed') return events;
    try {
      let pdus: Uint8Array[];
      try {
        pdus = this.framer.push(chunk);
      } catch (e) {
        this.failFraming(e, events);
        return events;
      }
      for (const bytes of pdus) {
        this.handle(bytes, events);
        if (this.closed) return events;
      }
      if (this.framer.error) this.failFraming(this.framer.error, events);
    } catch (e) {
      // Defensive: a bug must not take the process down; drop the connection.
      if (!this.closed) {
        this.state = 'closed';
        events.push({ kind: 'close', reason: `internal error: ${String(e)}` });
      }
    }
    return events;
  }

  /**
   * The response PDU for a `call` event: the KMS payload in a response stub,
   * or an error stub carrying the HRESULT (vlmcsd answers refused requests so,
   * e.g. 0x8007000D). alloc_hint is the stub length.
   */
  respond(callId: number, result: RpcCallResult): Uint8Array {
    const call = this.pending.get(callId);
    if (call === undefined) throw new Error(`RpcServerConnection.respond: no pending call ${callId}`);
    this.pending.delete(callId);
    // serializePdu of a response, written in one buffer (no separate stub array).
    const stubLength = result.kind === 'ok' ? responseStubLength(result.payload.length, call.syntax) : errorStubLength(call.syntax);
    const length = RESPONSE_STUB_OFFSET + stubLength;
    if (length > 0xffff) throw new KmsProtocolError('BAD_VALUE', `PDU of ${length} bytes exceeds frag_length`, 8);
    const w = new Writer(length);
    writeRpcHeader(w, PduType.response, FIRST_LAST, length, callId);
    w.u32le(stubLength).u16le(call.contextId).u8(0).u8(0); // alloc_hint, p_cont_id, cancel_count, reserved
    if (result.kind === 'ok') writeResponseStub(w, result.payload, call.syntax);
    else writeErrorStub(w, result.hresult, call.syntax);
    return w.finish();
  }

  private failFraming(e: unknown, events: RpcServerEvent[]): void {
    const err = asProtocolError(e);
    const h = this.framer.pendingHeader;
    if (h === undefined) {
      this.close(events, `unreadable RPC header: ${err.message}`, err);
      return;
    }
    this.rejectPdu(h[2]!, readU32(h, 12), err, events);
  }

  private handle(bytes: Uint8Array, events: RpcServerEvent[]): void {
    let pdu: RpcPdu;
    try {
      pdu = parsePdu(bytes);
    } catch (e) {
      this.rejectPdu(bytes[2]!, readU32(bytes, 12), asProtocolError(e), events);
      return;
    }
    switch (pdu.kind) {
      case 'bind':
        this.onBind(pdu, events);
        return;
      case 'alter_context':
        this.onAlterContext(pdu, events);
        return;
      case 'request':
        this.onRequest(pdu, events);
        return;
      default:
        this.fault(pdu.callId, 0, NcaStatus.proto_error, events);
        this.close(events, `client sent a ${pdu.kind} PDU`, new KmsProtocolError('PDU_TYPE', `unexpected ${pdu.kind} PDU from a client`, 2));
    }
  }

  private onBind(pdu: BindPdu, events: RpcServerEvent[]): void {
    if (this.state !== 'awaiting_bind') {
      this.bindNak(pdu.callId, BindNakReason.reason_not_specified, events);
      this.close(events, 'second bind on the connection', new KmsProtocolError('PDU_TYPE', 'only one bind per connection', 2));
      return;
    }
    const outcome = negotiateContexts(pdu.contexts, this.opts, 'bind');
    if (outcome.kind === 'malformed') {
      this.bindNak(pdu.callId, BindNakReason.reason_not_specified, events);
      this.close(events, `bind refused: ${outcome.reason}`, new KmsProtocolError('BAD_VALUE', outcome.reason, 24));
      return;
    }
    // Windows answers min(max_xmit, max_recv) clamped to [2048, 5840] and
    // truncated to a multiple of 8 (Samba dcerpc_server.c, measured against
    // Windows 2012R2). vlmcsd echoes the client's values; the captures' 5840
    // is the same either way.
    this.maxFrag = Math.min(5840, Math.max(2048, Math.min(pdu.maxXmitFrag, pdu.maxRecvFrag))) & 0xfff8;
    for (const [id, syntax] of outcome.accepted) this.contexts.set(id, syntax);
    this.state = 'bound';
    const pad = alignPad(RPC_HEADER_LENGTH + 10 + this.secAddr.length);
    events.push({
      kind: 'send',
      bytes: serializePdu({
        kind: 'bind_ack',
        // PFC_CONC_MPX is mirrored (vlmcsd copies the request header; captures 0x13 -> 0x13, 0x03 -> 0x03).
        flags: FIRST_LAST | (pdu.flags & PfcFlags.CONC_MPX),
        callId: pdu.callId,
        maxXmitFrag: this.maxFrag,
        maxRecvFrag: this.maxFrag,
        assocGroupId: this.opts.assocGroupId,
        secondaryAddress: this.secAddr,
        secondaryAddressPad: new Uint8Array(pad),
        results: outcome.results,
      }),
    });
  }

  private onAlterContext(pdu: AlterContextPdu, events: RpcServerEvent[]): void {
    if (this.state !== 'bound') {
      this.fault(pdu.callId, 0, NcaStatus.proto_error, events);
      this.close(events, 'alter_context before bind', new KmsProtocolError('PDU_TYPE', 'alter_context before bind', 2));
      return;
    }
    const outcome = negotiateContexts(pdu.contexts, this.opts, 'alter_context');
    if (outcome.kind === 'malformed') {
      this.fault(pdu.callId, 0, NcaStatus.proto_error, events);
      this.close(events, `alter_context refused: ${outcome.reason}`, new KmsProtocolError('BAD_VALUE', outcome.reason, 24));
      return;
    }
    for (const [id, syntax] of outcome.accepted) this.contexts.set(id, syntax);
    // The alter_context_resp carries no secondary address. Its 2 alignment bytes
    // are junk in the captures ("11", the start of the port string left in
    // vlmcsd's buffer by the bind_ack; Microsoft hosts also send junk there).
    // We reproduce them deliberately so the answer is byte-identical.
    const junk = new Uint8Array(2);
    junk.set(this.secAddr.subarray(0, 2));
    events.push({
      kind: 'send',
      bytes: serializePdu({
        kind: 'alter_context_resp',
        flags: FIRST_LAST, // never PFC_CONC_MPX here (captures: 0x13 -> 0x03)
        callId: pdu.callId,
        maxXmitFrag: this.maxFrag,
        maxRecvFrag: this.maxFrag,
        assocGroupId: this.opts.assocGroupId,
        secondaryAddress: new Uint8Array(0),
        secondaryAddressPad: junk,
        results: outcome.results,
      }),
    });
  }

  private onRequest(pdu: RequestPdu, events: RpcServerEvent[]): void {
    if (this.state !== 'bound') {
      this.fault(pdu.callId, 0, NcaStatus.proto_error, events);
      this.close(events, 'request before bind', new KmsProtocolError('PDU_TYPE', 'request before bind', 2));
      return;
    }
    if ((pdu.flags & FIRST_LAST) !== FIRST_LAST) {
      this.fault(pdu.callId, 0, NcaStatus.proto_error, events);
      this.close(events, 'fragmented request', new KmsProtocolError('FRAGMENTED', `pfc_flags 0x${pdu.flags.toString(16)} lack FIRST|LAST`, 3));
      return;
    }
    if (this.pending.has(pdu.callId)) {
      this.fault(pdu.callId, 0, NcaStatus.proto_error, events);
      this.close(events, 'duplicate call id', new KmsProtocolError('BAD_VALUE', `call_id ${pdu.callId} is already pending`, 12));
      return;
    }
    const syntax = this.contexts.get(pdu.contextId);
    if (syntax === undefined) {
      this.fault(pdu.callId, 0, NcaStatus.unk_if, events);
      this.close(events, 'unknown presentation context', new KmsProtocolError('BAD_VALUE', `context id ${pdu.contextId} was not accepted`, 20));
      return;
    }
    if (pdu.opnum !== 0) {
      this.fault(pdu.callId, pdu.contextId, NcaStatus.op_rng_error, events);
      this.close(events, 'unknown operation', new KmsProtocolError('BAD_VALUE', `opnum ${pdu.opnum}, KMS has only opnum 0`, 22));
      return;
    }
    let payload: Uint8Array;
    try {
      payload = decodeRequestStub(pdu.stub, syntax);
    } catch (e) {
      const err = asProtocolError(e);
      const stubAt = REQUEST_STUB_OFFSET + (pdu.objectUuid === undefined ? 0 : 16);
      this.fault(pdu.callId, pdu.contextId, NcaStatus.bad_stub_data, events);
      this.close(events, 'bad request stub', new KmsProtocolError(err.code, err.reason, stubAt + err.offset, { cause: err }));
      return;
    }
    this.pending.set(pdu.callId, { contextId: pdu.contextId, syntax });
    events.push({ kind: 'call', callId: pdu.callId, contextId: pdu.contextId, syntax, payload });
  }

  /** The reject for a PDU whose header was readable but which is malformed. */
  private rejectPdu(ptype: number, callId: number, err: KmsProtocolError, events: RpcServerEvent[]): void {
    if (ptype === PduType.bind) {
      // MS-RPCE 2.2.2.5: protocol_version_not_supported also covers "a protocol
      // error while processing an rpc_bind".
      const reason = err.code === 'AUTH' ? BindNakReason.authentication_type_not_recognized : BindNakReason.protocol_version_not_supported;
      this.bindNak(callId, reason, events);
    } else {
      this.fault(callId, 0, NcaStatus.proto_error, events);
    }
    this.close(events, `malformed PDU: ${err.message}`, err);
  }

  private fault(callId: number, contextId: number, status: number, events: RpcServerEvent[]): void {
    events.push({
      kind: 'send',
      bytes: serializePdu({
        kind: 'fault',
        flags: FIRST_LAST | PfcFlags.DID_NOT_EXECUTE,
        callId,
        allocHint: FAULT_ALLOC_HINT,
        contextId,
        cancelCount: 0,
        faultFlags: 0,
        status,
        stub: new Uint8Array(0),
      }),
    });
  }

  private bindNak(callId: number, rejectReason: number, events: RpcServerEvent[]): void {
    events.push({
      kind: 'send',
      bytes: serializePdu({
        kind: 'bind_nak',
        flags: FIRST_LAST,
        callId,
        rejectReason,
        versions: [{ major: 5, minor: 0 }],
        trailer: new Uint8Array(3), // Windows pads the bind_nak to 24 bytes (Samba raw_protocol tests)
      }),
    });
  }

  private close(events: RpcServerEvent[], reason: string, error?: KmsProtocolError): void {
    this.state = 'closed';
    events.push(error === undefined ? { kind: 'close', reason } : { kind: 'close', reason, error });
  }
}

const utf8 = new TextEncoder();
let lastSecAddr: { text: string; bytes: Uint8Array } | undefined;
/** The port string as ASCII + NUL; a host makes one connection per activation with the same port, so the last one is kept (read-only). */
function secondaryAddressBytes(text: string): Uint8Array {
  if (lastSecAddr?.text !== text) lastSecAddr = { text, bytes: text === '' ? new Uint8Array(0) : utf8.encode(`${text}\0`) };
  return lastSecAddr.bytes;
}

const alignPad = (n: number) => (4 - (n % 4)) % 4;
const readU32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

function asProtocolError(e: unknown): KmsProtocolError {
  if (e instanceof KmsProtocolError) return e;
  throw e; // not a decoding error: a bug, surfaced by receive()'s last-resort handler
}
