import type { RpcOptions } from './options.js';
import {
  ContextResult,
  NIL_SYNTAX,
  PfcFlags,
  ProviderReason,
  type AlterContextRespPdu,
  type BindAckPdu,
  type KmsProtocolError,
  type NdrSyntax,
  type ResponsePdu,
  type ResponseStubResult,
} from './protocol.js';
import type { Check } from './result.js';

/**
 * RPC-level checks on the PDUs a host sends, the ones vlmcs makes (vlmcsd
 * src/rpc.c: checkRpcResponseHeader, rpcBindOrAlterClientContext,
 * rpcSendRequest). RpcClientConnection already refuses what makes a
 * connection unusable (unknown call id, wrong context, undecodable stub);
 * these catch what a sloppy emulator gets wrong but a client may survive.
 */

const FIRST_LAST = PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG;
const ODD_FLAGS = PfcFlags.PENDING_CANCEL | PfcFlags.DID_NOT_EXECUTE | PfcFlags.MAYBE | PfcFlags.OBJECT_UUID;
/** BTFN features vlmcs proposes and Microsoft hosts acknowledge: security context multiplexing + keep connection on orphan. */
const BTFN_FEATURES = 0x3;

const ok = (name: string, detail?: string): Check => (detail === undefined ? { name, ok: true } : { name, ok: true, detail });
const fail = (name: string, detail: string): Check => ({ name, ok: false, detail });
const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;

function headerChecks(prefix: string, flags: number, callId: number, sentCallId: number, multiplexExpected: boolean | undefined): Check[] {
  const out: Check[] = [];
  out.push(callId === sentCallId ? ok(`${prefix}-call-id`) : fail(`${prefix}-call-id`, `sent call id ${sentCallId}, answer has ${callId}`));
  const problems: string[] = [];
  if ((flags & FIRST_LAST) !== FIRST_LAST) problems.push('PFC_FIRST_FRAG|PFC_LAST_FRAG not both set');
  if (flags & ODD_FLAGS) problems.push(`unexpected flags ${hex(flags & ODD_FLAGS)}`);
  const mpx = (flags & PfcFlags.CONC_MPX) !== 0;
  if (multiplexExpected === undefined) {
    if (mpx) problems.push('PFC_CONC_MPX set outside bind_ack');
  } else if (mpx !== multiplexExpected) {
    problems.push(`PFC_CONC_MPX ${mpx ? 'set' : 'clear'} but the bind had it ${multiplexExpected ? 'set' : 'clear'}`);
  }
  out.push(problems.length === 0 ? ok(`${prefix}-flags`, hex(flags)) : fail(`${prefix}-flags`, `${hex(flags)}: ${problems.join('; ')}`));
  return out;
}

type Proposed = NdrSyntax | 'btfn';

/** The contexts RpcClientConnection proposes, in p_cont_id order. */
export function proposedContexts(rpc: RpcOptions): Proposed[] {
  return [...(rpc.ndr32 ? ['ndr32' as const] : []), ...(rpc.ndr64 ? ['ndr64' as const] : []), ...(rpc.btfn ? ['btfn' as const] : [])];
}

function resultChecks(prefix: string, proposed: readonly Proposed[], ack: BindAckPdu | AlterContextRespPdu): Check[] {
  const out: Check[] = [];
  if (ack.results.length !== proposed.length) {
    return [fail(`${prefix}-results`, `${ack.results.length} results for ${proposed.length} proposed contexts`)];
  }
  proposed.forEach((what, i) => {
    const r = ack.results[i]!;
    const name = `${prefix}-${what}`;
    if (what === 'btfn') {
      if (r.result === ContextResult.negotiate_ack) {
        out.push(r.reason === BTFN_FEATURES ? ok(name, 'negotiate_ack 0x3') : fail(name, `negotiate_ack features ${hex(r.reason)}, expected 0x3`));
      } else if (r.result === ContextResult.provider_rejection) {
        out.push(ok(name, 'not supported by the host'));
      } else {
        out.push(fail(name, `result ${r.result}, expected negotiate_ack (3) or provider_rejection (2)`));
      }
      return;
    }
    if (r.result === ContextResult.acceptance) {
      out.push(r.reason === 0 ? ok(name, 'accepted') : fail(name, `accepted with reason ${r.reason}, Microsoft sends 0`));
    } else if (r.result === ContextResult.provider_rejection) {
      const problems: string[] = [];
      if (r.transferSyntax.uuid !== NIL_SYNTAX.uuid || r.transferSyntax.version !== 0) problems.push('transfer syntax not the nil GUID v0');
      if (r.reason !== ProviderReason.proposed_transfer_syntaxes_not_supported) {
        problems.push(`reason ${r.reason}, expected ${ProviderReason.proposed_transfer_syntaxes_not_supported} (proposed_transfer_syntaxes_not_supported)`);
      }
      out.push(problems.length === 0 ? ok(name, 'rejected') : fail(name, `rejected: ${problems.join('; ')}`));
    } else {
      out.push(fail(name, `result ${r.result}, neither acceptance nor provider_rejection`));
    }
  });
  return out;
}

/** Checks a bind_ack against the bind that was sent. */
export function checkBindAck(ack: BindAckPdu, sent: { readonly callId: number; readonly rpc: RpcOptions }): Check[] {
  return [
    ...headerChecks('bind-ack', ack.flags, ack.callId, sent.callId, sent.rpc.multiplex),
    ...resultChecks('bind-ack', proposedContexts(sent.rpc), ack),
  ];
}

/** Checks an alter_context_resp to the alter_context re-proposing NDR32. */
export function checkAlterContextResp(resp: AlterContextRespPdu, sent: { readonly callId: number }): Check[] {
  return [...headerChecks('alter-context', resp.flags, resp.callId, sent.callId, undefined), ...resultChecks('alter-context', ['ndr32'], resp)];
}

/**
 * Checks a response PDU and the layout of its stub: `len, referent, max_count,
 * payload, zero pad to 4, HRESULT` (or `len 0, NULL, HRESULT` for an error),
 * nothing after it, alloc_hint equal to the stub length (what Microsoft and
 * vlmcsd send; vlmcs warns otherwise).
 */
export function checkResponsePdu(
  pdu: ResponsePdu,
  sent: { readonly callId: number; readonly contextId: number; readonly syntax: NdrSyntax },
  result: ResponseStubResult,
): Check[] {
  const out = headerChecks('response', pdu.flags, pdu.callId, sent.callId, undefined);
  out.push(pdu.contextId === sent.contextId ? ok('response-context', String(pdu.contextId)) : fail('response-context', `sent on context ${sent.contextId}, answer on ${pdu.contextId}`));
  out.push(pdu.cancelCount === 0 ? ok('response-cancel-count') : fail('response-cancel-count', `cancel_count ${pdu.cancelCount}`));
  const stub = pdu.stub;
  out.push(pdu.allocHint === stub.length ? ok('response-alloc-hint') : fail('response-alloc-hint', `alloc_hint ${pdu.allocHint}, stub is ${stub.length} bytes`));
  const ws = sent.syntax === 'ndr64' ? 8 : 4;
  if (result.kind === 'error') {
    const want = 2 * ws + 4;
    out.push(stub.length === want ? ok('response-stub') : fail('response-stub', `error stub of ${stub.length} bytes, expected ${want}`));
  } else {
    const len = result.payload.length;
    const body = 3 * ws + len;
    const pad = (4 - (body % 4)) % 4;
    const want = body + pad + 4;
    const padBytes = stub.subarray(body, body + pad);
    if (stub.length !== want) out.push(fail('response-stub', `stub of ${stub.length} bytes, expected ${want} for a ${len}-byte response`));
    else if (padBytes.some((b) => b !== 0)) out.push(fail('response-stub', 'padding before the HRESULT is not zero'));
    else out.push(ok('response-stub'));
  }
  return out;
}

const KMS_CHECK_OF_CODE: Readonly<Record<string, string>> = {
  BAD_MAC: 'mac',
  BAD_HMAC: 'hmac',
  BAD_HASH: 'hash',
  BAD_PADDING: 'decrypt',
  KMS_VERSION: 'version',
  KMS_LENGTH: 'size',
};

/** A failed check for a response decodeKmsResponse refused (crypto or structure). */
export function checkFromKmsError(err: KmsProtocolError): Check {
  return fail(KMS_CHECK_OF_CODE[err.code] ?? 'decode', `${err.reason} (at offset ${err.offset})`);
}
