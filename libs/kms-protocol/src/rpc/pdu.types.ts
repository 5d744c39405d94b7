import type { Guid } from '../wire/guid.js';
import type { SyntaxId } from './constants.js';

/** p_cont_elem_t: one proposed presentation context of a bind / alter_context. */
export interface PresentationContext {
  readonly contextId: number;
  readonly abstractSyntax: SyntaxId;
  readonly transferSyntaxes: readonly SyntaxId[];
}

/** p_result_t: the answer to one proposed context (reason carries the BTFN features for negotiate_ack). */
export interface ContextResultItem {
  readonly result: number;
  readonly reason: number;
  readonly transferSyntax: SyntaxId;
}

interface PduCommon {
  /** pfc_flags as sent. */
  readonly flags: number;
  readonly callId: number;
}

export interface BindPdu extends PduCommon {
  readonly kind: 'bind';
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  readonly contexts: readonly PresentationContext[];
}

export interface AlterContextPdu extends PduCommon {
  readonly kind: 'alter_context';
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  readonly contexts: readonly PresentationContext[];
}

interface AckBody {
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  /** port_any_t bytes as sent, including the terminating NUL (empty for none). */
  readonly secondaryAddress: Uint8Array;
  /**
   * The bytes that restore 4-byte alignment after the secondary address. Kept
   * verbatim: Microsoft and vlmcsd leave junk there (see the alter_context_resp
   * captures), and re-encoding must reproduce it.
   */
  readonly secondaryAddressPad: Uint8Array;
  readonly results: readonly ContextResultItem[];
}

export interface BindAckPdu extends PduCommon, AckBody {
  readonly kind: 'bind_ack';
}

export interface AlterContextRespPdu extends PduCommon, AckBody {
  readonly kind: 'alter_context_resp';
}

export interface BindNakPdu extends PduCommon {
  readonly kind: 'bind_nak';
  readonly rejectReason: number;
  readonly versions: readonly { readonly major: number; readonly minor: number }[];
  /** Whatever follows the version list (Windows: 3 zero pad bytes; MS-RPCE 2.2.2.9 optional signature). */
  readonly trailer: Uint8Array;
}

export interface RequestPdu extends PduCommon {
  readonly kind: 'request';
  readonly allocHint: number;
  readonly contextId: number;
  readonly opnum: number;
  /** Present iff PFC_OBJECT_UUID is set in flags. */
  readonly objectUuid?: Guid;
  readonly stub: Uint8Array;
}

export interface ResponsePdu extends PduCommon {
  readonly kind: 'response';
  readonly allocHint: number;
  readonly contextId: number;
  readonly cancelCount: number;
  readonly stub: Uint8Array;
}

export interface FaultPdu extends PduCommon {
  readonly kind: 'fault';
  readonly allocHint: number;
  readonly contextId: number;
  readonly cancelCount: number;
  /** The reserved octet; MS-RPCE 2.2.2.8 uses bit 0 for "extended error info present". */
  readonly faultFlags: number;
  readonly status: number;
  readonly stub: Uint8Array;
}

/** Any connection-oriented PDU KMS uses, discriminated by `kind`. */
export type RpcPdu =
  | BindPdu
  | AlterContextPdu
  | BindAckPdu
  | AlterContextRespPdu
  | BindNakPdu
  | RequestPdu
  | ResponsePdu
  | FaultPdu;

/** The 16-byte common header fields (C706 §12.6.3.1). */
export interface RpcHeader {
  readonly ptype: number;
  readonly flags: number;
  readonly drep: number;
  readonly fragLength: number;
  readonly authLength: number;
  readonly callId: number;
}
