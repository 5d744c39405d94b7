import { Reader, Writer } from '../wire/cursor.js';
import { KmsProtocolError } from '../wire/errors.js';
import { guidFromBytes } from '../wire/guid.js';
import {
  DREP_LE_ASCII_IEEE,
  PduType,
  PfcFlags,
  RPC_HEADER_LENGTH,
  pduKindOf,
  type SyntaxId,
} from './constants.js';
import type {
  AlterContextPdu,
  AlterContextRespPdu,
  BindAckPdu,
  BindPdu,
  ContextResultItem,
  PresentationContext,
  RpcHeader,
  RpcPdu,
} from './pdu.types.js';

/**
 * Reads and checks the 16-byte common header at `offset`: rpc_vers 5.0, a PDU
 * type we handle, frag_length in [16, maxFragLength]. Error offsets are
 * `offset` + the field position, so a framer can report stream offsets.
 *
 * @example parseRpcHeader(bytes).fragLength
 */
export function parseRpcHeader(bytes: Uint8Array, offset = 0, maxFragLength = 0xffff): RpcHeader {
  const r = new Reader(bytes, offset, bytes.length, 0);
  r.need(RPC_HEADER_LENGTH, 'RPC header');
  const vers = r.u8('rpc_vers');
  const minor = r.u8('rpc_vers_minor');
  if (vers !== 5 || minor !== 0) {
    throw new KmsProtocolError('RPC_VERSION', `RPC version ${vers}.${minor}, only 5.0 is spoken`, offset + (vers !== 5 ? 0 : 1));
  }
  const ptype = r.u8('PTYPE');
  if (pduKindOf(ptype) === undefined) throw new KmsProtocolError('PDU_TYPE', `unknown or unsupported PDU type ${ptype}`, offset + 2);
  const flags = r.u8('pfc_flags');
  const drep = r.u32le('packed_drep');
  const fragLength = r.u16le('frag_length');
  if (fragLength < RPC_HEADER_LENGTH || fragLength > maxFragLength) {
    throw new KmsProtocolError('FRAG_LENGTH', `frag_length ${fragLength} outside [${RPC_HEADER_LENGTH}, ${maxFragLength}]`, offset + 8);
  }
  const authLength = r.u16le('auth_length');
  const callId = r.u32le('call_id');
  return { ptype, flags, drep, fragLength, authLength, callId };
}

function readSyntax(r: Reader, field: string): SyntaxId {
  const b = r.bytes(20, field);
  return { uuid: guidFromBytes(b, 0), version: (b[16]! | (b[17]! << 8) | (b[18]! << 16)) + b[19]! * 0x1000000 };
}

function writeSyntax(w: Writer, s: SyntaxId): void {
  w.guid(s.uuid).u32le(s.version);
}

function readContexts(r: Reader): PresentationContext[] {
  const n = r.u8('n_context_elem');
  r.skip(3, 'p_cont_list reserved');
  const out: PresentationContext[] = [];
  for (let i = 0; i < n; i++) {
    const contextId = r.u16le('p_cont_id');
    const nTransfer = r.u8('n_transfer_syn');
    r.skip(1, 'p_cont_elem reserved');
    const abstractSyntax = readSyntax(r, 'abstract_syntax');
    const transferSyntaxes: SyntaxId[] = [];
    for (let j = 0; j < nTransfer; j++) transferSyntaxes.push(readSyntax(r, 'transfer_syntax'));
    out.push({ contextId, abstractSyntax, transferSyntaxes });
  }
  return out;
}

function readAckBody(r: Reader) {
  const maxXmitFrag = r.u16le('max_xmit_frag');
  const maxRecvFrag = r.u16le('max_recv_frag');
  const assocGroupId = r.u32le('assoc_group_id');
  const secLen = r.u16le('sec_addr length');
  const secondaryAddress = r.bytes(secLen, 'sec_addr');
  const mis = r.position % 4; // alignment is relative to the PDU start
  const secondaryAddressPad = r.bytes(mis === 0 ? 0 : 4 - mis, 'sec_addr pad');
  const n = r.u8('n_results');
  r.skip(3, 'p_result_list reserved');
  const results: ContextResultItem[] = [];
  for (let i = 0; i < n; i++) {
    const result = r.u16le('result');
    const reason = r.u16le('reason');
    results.push({ result, reason, transferSyntax: readSyntax(r, 'transfer_syntax') });
  }
  return { maxXmitFrag, maxRecvFrag, assocGroupId, secondaryAddress, secondaryAddressPad, results };
}

/**
 * Decodes one complete PDU (exactly frag_length bytes). Throws
 * {@link KmsProtocolError} with the offset inside the PDU; never anything else.
 * Stubs are views into `bytes` (no copy).
 *
 * @example const pdu = parsePdu(bytes); if (pdu.kind === 'request') use(pdu.stub);
 */
export function parsePdu(bytes: Uint8Array): RpcPdu {
  const h = parseRpcHeader(bytes);
  if (h.fragLength > bytes.length) {
    throw new KmsProtocolError('TRUNCATED', `frag_length ${h.fragLength} but only ${bytes.length} bytes`, bytes.length);
  }
  if (h.fragLength < bytes.length) {
    throw new KmsProtocolError('FRAG_LENGTH', `${bytes.length - h.fragLength} bytes after frag_length ${h.fragLength}`, h.fragLength);
  }
  if (h.drep !== DREP_LE_ASCII_IEEE) {
    throw new KmsProtocolError('DREP', `packed_drep 0x${h.drep.toString(16).padStart(8, '0')} is not little-endian/ASCII/IEEE`, 4);
  }
  if (h.authLength !== 0) throw new KmsProtocolError('AUTH', `auth_length ${h.authLength}: KMS never authenticates`, 10);
  const r = new Reader(bytes, RPC_HEADER_LENGTH, h.fragLength);
  const { flags, callId } = h;
  const kind = pduKindOf(h.ptype)!;
  switch (kind) {
    case 'bind':
    case 'alter_context': {
      const maxXmitFrag = r.u16le('max_xmit_frag');
      const maxRecvFrag = r.u16le('max_recv_frag');
      const assocGroupId = r.u32le('assoc_group_id');
      return { kind, flags, callId, maxXmitFrag, maxRecvFrag, assocGroupId, contexts: readContexts(r) };
    }
    case 'bind_ack':
    case 'alter_context_resp':
      return { kind, flags, callId, ...readAckBody(r) };
    case 'bind_nak': {
      const rejectReason = r.u16le('provider_reject_reason');
      const n = r.u8('n_protocols');
      const versions: { major: number; minor: number }[] = [];
      for (let i = 0; i < n; i++) versions.push({ major: r.u8('rpc_vers'), minor: r.u8('rpc_vers_minor') });
      return { kind, flags, callId, rejectReason, versions, trailer: r.rest() };
    }
    case 'request': {
      const allocHint = r.u32le('alloc_hint');
      const contextId = r.u16le('p_cont_id');
      const opnum = r.u16le('opnum');
      if (flags & PfcFlags.OBJECT_UUID) {
        const at = r.position;
        r.skip(16, 'object');
        return { kind, flags, callId, allocHint, contextId, opnum, objectUuid: guidFromBytes(bytes, at), stub: r.rest() };
      }
      return { kind, flags, callId, allocHint, contextId, opnum, stub: r.rest() };
    }
    case 'response': {
      const allocHint = r.u32le('alloc_hint');
      const contextId = r.u16le('p_cont_id');
      const cancelCount = r.u8('cancel_count');
      r.skip(1, 'reserved');
      return { kind, flags, callId, allocHint, contextId, cancelCount, stub: r.rest() };
    }
    case 'fault': {
      const allocHint = r.u32le('alloc_hint');
      const contextId = r.u16le('p_cont_id');
      const cancelCount = r.u8('cancel_count');
      const faultFlags = r.u8('reserved');
      const status = r.u32le('status');
      r.skip(4, 'reserved2');
      return { kind, flags, callId, allocHint, contextId, cancelCount, faultFlags, status, stub: r.rest() };
    }
  }
}

const contextsLength = (cs: readonly PresentationContext[]) =>
  4 + cs.reduce((n, c) => n + 4 + 20 * (1 + c.transferSyntaxes.length), 0);

/** Bytes `serializePdu(pdu)` will produce (frag_length). */
export function encodingLength(pdu: RpcPdu): number {
  const H = RPC_HEADER_LENGTH;
  switch (pdu.kind) {
    case 'bind':
    case 'alter_context':
      return H + 8 + contextsLength(pdu.contexts);
    case 'bind_ack':
    case 'alter_context_resp':
      return H + 10 + pdu.secondaryAddress.length + pdu.secondaryAddressPad.length + 4 + 24 * pdu.results.length;
    case 'bind_nak':
      return H + 3 + 2 * pdu.versions.length + pdu.trailer.length;
    case 'request':
      return H + 8 + (pdu.flags & PfcFlags.OBJECT_UUID ? 16 : 0) + pdu.stub.length;
    case 'response':
      return H + 8 + pdu.stub.length;
    case 'fault':
      return H + 16 + pdu.stub.length;
  }
}

function checkAckPad(pdu: BindAckPdu | AlterContextRespPdu): void {
  const mis = (RPC_HEADER_LENGTH + 10 + pdu.secondaryAddress.length) % 4;
  const want = mis === 0 ? 0 : 4 - mis;
  if (pdu.secondaryAddressPad.length !== want) {
    throw new KmsProtocolError('BAD_VALUE', `secondary address pad must be ${want} bytes, not ${pdu.secondaryAddressPad.length}`, RPC_HEADER_LENGTH + 10);
  }
}

function writeBindBody(w: Writer, pdu: BindPdu | AlterContextPdu): void {
  w.u16le(pdu.maxXmitFrag).u16le(pdu.maxRecvFrag).u32le(pdu.assocGroupId);
  w.u8(pdu.contexts.length).zeros(3);
  for (const c of pdu.contexts) {
    w.u16le(c.contextId).u8(c.transferSyntaxes.length).zeros(1);
    writeSyntax(w, c.abstractSyntax);
    for (const t of c.transferSyntaxes) writeSyntax(w, t);
  }
}

/** Writes the 16-byte common header (auth_length 0, drep little-endian/ASCII/IEEE). */
export function writeRpcHeader(w: Writer, ptype: number, flags: number, fragLength: number, callId: number): void {
  w.u8(5).u8(0).u8(ptype).u8(flags).u32le(DREP_LE_ASCII_IEEE).u16le(fragLength).u16le(0).u32le(callId);
}

/**
 * Encodes a PDU; frag_length is computed, auth_length is 0 and drep is
 * little-endian/ASCII/IEEE. Throws BAD_VALUE for values the wire cannot carry
 * (over 0xffff bytes, over 255 contexts, a wrong secondary-address pad).
 *
 * @example serializePdu({ kind: 'response', flags: 3, callId: 2, allocHint: 12, contextId: 0, cancelCount: 0, stub })
 */
export function serializePdu(pdu: RpcPdu): Uint8Array {
  const len = encodingLength(pdu);
  if (len > 0xffff) throw new KmsProtocolError('BAD_VALUE', `PDU of ${len} bytes exceeds frag_length`, 8);
  const w = new Writer(len);
  writeRpcHeader(w, PduType[pdu.kind], pdu.flags, len, pdu.callId);
  switch (pdu.kind) {
    case 'bind':
    case 'alter_context':
      if (pdu.contexts.length > 255 || pdu.contexts.some((c) => c.transferSyntaxes.length > 255)) {
        throw new KmsProtocolError('BAD_VALUE', 'more than 255 contexts or transfer syntaxes', 24);
      }
      writeBindBody(w, pdu);
      break;
    case 'bind_ack':
    case 'alter_context_resp':
      checkAckPad(pdu);
      if (pdu.results.length > 255) throw new KmsProtocolError('BAD_VALUE', 'more than 255 results', 24);
      w.u16le(pdu.maxXmitFrag).u16le(pdu.maxRecvFrag).u32le(pdu.assocGroupId);
      w.u16le(pdu.secondaryAddress.length).bytes(pdu.secondaryAddress).bytes(pdu.secondaryAddressPad);
      w.u8(pdu.results.length).zeros(3);
      for (const res of pdu.results) {
        w.u16le(res.result).u16le(res.reason);
        writeSyntax(w, res.transferSyntax);
      }
      break;
    case 'bind_nak':
      if (pdu.versions.length > 255) throw new KmsProtocolError('BAD_VALUE', 'more than 255 versions', 18);
      w.u16le(pdu.rejectReason).u8(pdu.versions.length);
      for (const v of pdu.versions) w.u8(v.major).u8(v.minor);
      w.bytes(pdu.trailer);
      break;
    case 'request':
      w.u32le(pdu.allocHint).u16le(pdu.contextId).u16le(pdu.opnum);
      if (pdu.flags & PfcFlags.OBJECT_UUID) {
        if (pdu.objectUuid === undefined) throw new KmsProtocolError('BAD_VALUE', 'PFC_OBJECT_UUID set without objectUuid', 24);
        w.guid(pdu.objectUuid);
      }
      w.bytes(pdu.stub);
      break;
    case 'response':
      w.u32le(pdu.allocHint).u16le(pdu.contextId).u8(pdu.cancelCount).u8(0).bytes(pdu.stub);
      break;
    case 'fault':
      w.u32le(pdu.allocHint).u16le(pdu.contextId).u8(pdu.cancelCount).u8(pdu.faultFlags).u32le(pdu.status).u32le(0);
      w.bytes(pdu.stub);
      break;
  }
  return w.finish();
}
