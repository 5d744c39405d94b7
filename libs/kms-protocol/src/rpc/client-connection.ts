import { decodeResponseStub, encodeRequestStub, type ResponseStubResult } from '../ndr/kms-stub.codec.js';
import { KmsProtocolError } from '../wire/errors.js';
import {
  BtfnFeatures,
  ContextResult,
  KMS_INTERFACE,
  NDR32_SYNTAX,
  NDR64_SYNTAX,
  PfcFlags,
  btfnSyntax,
  sameSyntax,
  type NdrSyntax,
  type SyntaxId,
} from './constants.js';
import { RpcFramer } from './framer.js';
import { parsePdu, serializePdu } from './pdu.codec.js';
import type { AlterContextRespPdu, BindAckPdu, PresentationContext, RpcPdu } from './pdu.types.js';

export interface RpcClientOptions {
  /** Propose NDR32 (context 0). */
  readonly ndr32: boolean;
  /** Propose NDR64 (vlmcs -N1). */
  readonly ndr64: boolean;
  /** Propose bind-time feature negotiation (vlmcs -B1). */
  readonly btfn: boolean;
  /** Set PFC_CONC_MPX on bind and alter_context (vlmcs default; -p clears it). */
  readonly multiplex: boolean;
  /** max_xmit_frag / max_recv_frag to propose (default 5840, as vlmcs and Windows). */
  readonly maxFrag?: number;
}

export type RpcClientEvent =
  /** bind_ack decoded; when `alterContextNeeded`, send {@link RpcClientConnection.alterContext} before requests. */
  | {
      readonly kind: 'bound';
      readonly ndr32: boolean;
      readonly ndr64: boolean;
      readonly btfn: boolean;
      readonly btfnFeatures: number;
      readonly alterContextNeeded: boolean;
      readonly assocGroupId: number;
    }
  | { readonly kind: 'context_altered'; readonly ndr32: boolean }
  | { readonly kind: 'result'; readonly callId: number; readonly syntax: NdrSyntax; readonly result: ResponseStubResult }
  | { readonly kind: 'fault'; readonly callId: number; readonly status: number }
  | { readonly kind: 'bind_rejected'; readonly callId: number; readonly reason: number }
  /** The server sent something undecodable or unexpected; the connection is unusable. */
  | { readonly kind: 'error'; readonly error: KmsProtocolError };

/** vlmcs starts at call_id 2 ("M$ starts with CallId 2"); bind, alter_context and the first request share it. */
const FIRST_CALL_ID = 2;
const FIRST_LAST = PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG;

/**
 * Client side of a KMS RPC connection, mimicking vlmcs (vlmcsd src/rpc.c):
 * bind proposes NDR32 (ctx 0), NDR64 (next id) and BTFN (next id, features
 * 0x3); if NDR32 was refused, an alter_context proposes it again; the first
 * request goes over NDR32 and later ones over NDR64 when it was accepted, as
 * Microsoft's client does (vlmcs(1)). Pure: returns bytes to send, consumes
 * bytes received, never throws from receive().
 *
 * @example
 * const c = new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true });
 * socket.write(c.bind());
 */
export class RpcClientConnection {
  private readonly opts: RpcClientOptions;
  private readonly framer = new RpcFramer({ maxPduSize: 0xffff });
  private state: 'idle' | 'binding' | 'bound' | 'altering' | 'failed' = 'idle';
  private callId = FIRST_CALL_ID;
  private readonly proposed: { contextId: number; what: NdrSyntax | 'btfn' }[] = [];
  private ndr32 = false;
  private ndr64 = false;
  private firstRequestSent = false;
  private readonly pending = new Map<number, { contextId: number; syntax: NdrSyntax }>();

  constructor(opts: RpcClientOptions) {
    if (!opts.ndr32 && !opts.ndr64) throw new Error('RpcClientConnection: propose at least one of NDR32 and NDR64');
    this.opts = opts;
  }

  private get flags(): number {
    return FIRST_LAST | (this.opts.multiplex ? PfcFlags.CONC_MPX : 0);
  }

  /** The bind PDU (flags 0x13, or 0x03 without multiplex). */
  bind(): Uint8Array {
    if (this.state !== 'idle') throw new Error(`RpcClientConnection.bind in state ${this.state}`);
    const syntaxes: { what: NdrSyntax | 'btfn'; syntax: SyntaxId }[] = [];
    if (this.opts.ndr32) syntaxes.push({ what: 'ndr32', syntax: NDR32_SYNTAX });
    if (this.opts.ndr64) syntaxes.push({ what: 'ndr64', syntax: NDR64_SYNTAX });
    if (this.opts.btfn) {
      const features = BtfnFeatures.security_context_multiplexing | BtfnFeatures.keep_connection_on_orphan;
      syntaxes.push({ what: 'btfn', syntax: btfnSyntax(features) });
    }
    const contexts: PresentationContext[] = syntaxes.map((s, contextId) => {
      this.proposed.push({ contextId, what: s.what });
      return { contextId, abstractSyntax: KMS_INTERFACE, transferSyntaxes: [s.syntax] };
    });
    this.state = 'binding';
    return this.bindLike('bind', contexts);
  }

  /** The alter_context asking for NDR32 again after the bind refused it (vlmcs: same call id as the bind). */
  alterContext(): Uint8Array {
    const ctx = this.proposed.find((p) => p.what === 'ndr32');
    if (this.state !== 'bound' || ctx === undefined) throw new Error(`RpcClientConnection.alterContext in state ${this.state}`);
    this.state = 'altering';
    return this.bindLike('alter_context', [
      { contextId: ctx.contextId, abstractSyntax: KMS_INTERFACE, transferSyntaxes: [NDR32_SYNTAX] },
    ]);
  }

  /** A request PDU for the KMS `payload`; the call id is reported back in the `result` event. */
  request(payload: Uint8Array): Uint8Array {
    if (this.state !== 'bound' || (!this.ndr32 && !this.ndr64)) {
      throw new Error(`RpcClientConnection.request in state ${this.state} without a negotiated syntax`);
    }
    const syntax: NdrSyntax = this.ndr64 && (this.firstRequestSent || !this.ndr32) ? 'ndr64' : 'ndr32';
    const contextId = this.proposed.find((p) => p.what === syntax)!.contextId;
    const callId = this.callId++;
    this.firstRequestSent = true;
    this.pending.set(callId, { contextId, syntax });
    const stub = encodeRequestStub(payload, syntax);
    return serializePdu({ kind: 'request', flags: FIRST_LAST, callId, allocHint: stub.length, contextId, opnum: 0, stub });
  }

  /** True after a bind_nak or an error event; later input is ignored. */
  get failed(): boolean {
    return this.state === 'failed';
  }

  /** The call id the next request will use. */
  get nextCallId(): number {
    return this.callId;
  }

  /** Feeds bytes from the server; never throws. */
  receive(chunk: Uint8Array): RpcClientEvent[] {
    const events: RpcClientEvent[] = [];
    if (this.state === 'failed') return events;
    try {
      for (const bytes of this.framer.push(chunk)) {
        this.handle(parsePdu(bytes), events);
        if (this.failed) return events;
      }
      if (this.framer.error) throw this.framer.error;
    } catch (e) {
      this.state = 'failed';
      const error = e instanceof KmsProtocolError ? e : new KmsProtocolError('BAD_VALUE', `internal error: ${String(e)}`, 0);
      events.push({ kind: 'error', error });
    }
    return events;
  }

  private bindLike(kind: 'bind' | 'alter_context', contexts: PresentationContext[]): Uint8Array {
    const frag = this.opts.maxFrag ?? 5840;
    return serializePdu({
      kind,
      flags: this.flags,
      callId: this.callId,
      maxXmitFrag: frag,
      maxRecvFrag: frag,
      assocGroupId: 0,
      contexts,
    });
  }

  private handle(pdu: RpcPdu, events: RpcClientEvent[]): void {
    switch (pdu.kind) {
      case 'bind_ack':
        if (this.state !== 'binding') throw unexpected(pdu.kind);
        this.onBindAck(pdu, events);
        return;
      case 'alter_context_resp':
        if (this.state !== 'altering') throw unexpected(pdu.kind);
        this.onAlterResp(pdu, events);
        return;
      case 'bind_nak':
        if (this.state !== 'binding') throw unexpected(pdu.kind);
        this.state = 'failed';
        events.push({ kind: 'bind_rejected', callId: pdu.callId, reason: pdu.rejectReason });
        return;
      case 'response': {
        const call = this.pending.get(pdu.callId);
        if (call === undefined) throw new KmsProtocolError('BAD_VALUE', `response for unknown call_id ${pdu.callId}`, 12);
        if (pdu.contextId !== call.contextId) {
          throw new KmsProtocolError('BAD_VALUE', `response on context ${pdu.contextId}, request used ${call.contextId}`, 20);
        }
        this.pending.delete(pdu.callId);
        let result: ResponseStubResult;
        try {
          result = decodeResponseStub(pdu.stub, call.syntax);
        } catch (e) {
          const err = e as KmsProtocolError;
          throw new KmsProtocolError(err.code, err.reason, 24 + err.offset, { cause: err });
        }
        events.push({ kind: 'result', callId: pdu.callId, syntax: call.syntax, result });
        return;
      }
      case 'fault':
        this.pending.delete(pdu.callId);
        if (this.state === 'binding' || this.state === 'altering') this.state = 'failed';
        events.push({ kind: 'fault', callId: pdu.callId, status: pdu.status });
        return;
      default:
        throw unexpected(pdu.kind);
    }
  }

  private onBindAck(pdu: BindAckPdu, events: RpcClientEvent[]): void {
    if (pdu.results.length !== this.proposed.length) {
      throw new KmsProtocolError('BAD_VALUE', `${pdu.results.length} results for ${this.proposed.length} contexts`, 0);
    }
    let btfn = false;
    let btfnFeatures = 0;
    this.proposed.forEach((p, i) => {
      const r = pdu.results[i]!;
      if (p.what === 'btfn') {
        btfn = r.result === ContextResult.negotiate_ack;
        btfnFeatures = btfn ? r.reason : 0;
      } else if (r.result === ContextResult.acceptance) {
        const want = p.what === 'ndr32' ? NDR32_SYNTAX : NDR64_SYNTAX;
        if (!sameSyntax(r.transferSyntax, want)) throw new KmsProtocolError('BAD_VALUE', `accepted transfer syntax differs for ${p.what}`, 0);
        if (p.what === 'ndr32') this.ndr32 = true;
        else this.ndr64 = true;
      }
    });
    const alterContextNeeded = this.opts.ndr32 && !this.ndr32;
    if (!alterContextNeeded && !this.ndr32 && !this.ndr64) {
      throw new KmsProtocolError('BAD_VALUE', 'server accepted neither NDR32 nor NDR64', 0);
    }
    this.state = 'bound';
    events.push({
      kind: 'bound',
      ndr32: this.ndr32,
      ndr64: this.ndr64,
      btfn,
      btfnFeatures,
      alterContextNeeded,
      assocGroupId: pdu.assocGroupId,
    });
  }

  private onAlterResp(pdu: AlterContextRespPdu, events: RpcClientEvent[]): void {
    const r = pdu.results[0];
    this.ndr32 = r !== undefined && r.result === ContextResult.acceptance && sameSyntax(r.transferSyntax, NDR32_SYNTAX);
    this.state = 'bound';
    if (!this.ndr32 && !this.ndr64) throw new KmsProtocolError('BAD_VALUE', 'server accepted neither NDR32 nor NDR64', 0);
    events.push({ kind: 'context_altered', ndr32: this.ndr32 });
  }
}

const unexpected = (kind: string) => new KmsProtocolError('PDU_TYPE', `unexpected ${kind} PDU`, 2);
