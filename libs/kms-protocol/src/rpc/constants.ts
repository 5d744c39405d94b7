import { hexByteAt, type Guid } from '../wire/guid.js';

/** Connection-oriented PDU types we speak (C706 §12.6.4; auth3/shutdown/cancel/orphaned are refused). */
export const PduType = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
} as const;
export type PduKind = keyof typeof PduType;

const KIND_BY_TYPE = new Map<number, PduKind>(Object.entries(PduType).map(([k, v]) => [v, k as PduKind]));
/** The PDU kind for a PTYPE byte, or undefined for types we do not handle. */
export const pduKindOf = (ptype: number): PduKind | undefined => KIND_BY_TYPE.get(ptype);

/** pfc_flags bits (C706 §12.6.3.1). */
export const PfcFlags = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  PENDING_CANCEL: 0x04,
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

export const RPC_HEADER_LENGTH = 16;
/** packed_drep of every KMS PDU: little-endian integers, ASCII characters, IEEE floats. */
export const DREP_LE_ASCII_IEEE = 0x10;

/** p_cont_def_result_t (C706 §12.6.3.1) plus MS-RPCE 2.2.2.4 negotiate_ack for bind-time features. */
export const ContextResult = {
  acceptance: 0,
  user_rejection: 1,
  provider_rejection: 2,
  negotiate_ack: 3,
} as const;

/** p_provider_reason_t (C706 §12.6.3.1). */
export const ProviderReason = {
  reason_not_specified: 0,
  abstract_syntax_not_supported: 1,
  proposed_transfer_syntaxes_not_supported: 2,
  local_limit_exceeded: 3,
} as const;

/** bind_nak reject reasons (C706 §12.6.3.1, MS-RPCE 2.2.2.5). */
export const BindNakReason = {
  reason_not_specified: 0,
  temporary_congestion: 1,
  local_limit_exceeded: 2,
  protocol_version_not_supported: 4,
  authentication_type_not_recognized: 8,
  invalid_checksum: 9,
} as const;

/** Fault statuses we send (C706 appendix E; MS-RPCE 3.1.1.5.5 maps them to Win32 errors). */
export const NcaStatus = {
  /** Operation number out of range (RPC_S_PROCNUM_OUT_OF_RANGE). */
  op_rng_error: 0x1c010002,
  /** Unknown interface / presentation context (RPC_S_UNKNOWN_IF). */
  unk_if: 0x1c010003,
  /** Protocol error (RPC_S_PROTOCOL_ERROR). */
  proto_error: 0x1c01000b,
  /** RPC_X_BAD_STUB_DATA: what MS RPC runtimes fault with when unmarshalling fails. */
  bad_stub_data: 0x000006f7,
} as const;

/** BTFN feature bits carried in the syntax GUID (MS-RPCE 2.2.2.14). */
export const BtfnFeatures = {
  security_context_multiplexing: 0x1,
  keep_connection_on_orphan: 0x2,
} as const;

/** A presentation syntax: UUID plus the 32-bit version (major in the low 16 bits, minor in the high 16). */
export interface SyntaxId {
  readonly uuid: Guid;
  readonly version: number;
}

/** The KMS interface (vlmcsd src/KMSServer.idl), version 1.0. */
export const KMS_INTERFACE: SyntaxId = { uuid: '51c82175-844e-4750-b0d8-ec255555bc06' as Guid, version: 1 };
/** NDR transfer syntax version 2 (C706 appendix I). */
export const NDR32_SYNTAX: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860' as Guid, version: 2 };
/** NDR64 transfer syntax version 1 (MS-RPCE 2.2.5). */
export const NDR64_SYNTAX: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36' as Guid, version: 1 };
/** Bind-time feature negotiation prefix (MS-RPCE 2.2.2.14): the last 8 bytes carry the feature bitmask. */
export const BTFN_UUID_PREFIX = '6cb71c2c-9812-4540-';
export const NIL_SYNTAX: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000' as Guid, version: 0 };

/** The BTFN syntax offering `features` (the bitmask is the little-endian u64 in GUID bytes 8..15). */
export function btfnSyntax(features: number): SyntaxId {
  const lo = features & 0xffff;
  const hex = (lo & 0xff).toString(16).padStart(2, '0') + ((lo >>> 8) & 0xff).toString(16).padStart(2, '0');
  return { uuid: `${BTFN_UUID_PREFIX}${hex}-000000000000` as Guid, version: 1 };
}

/** If `s` is a BTFN syntax, its feature bitmask (low 16 bits); otherwise undefined. */
export function btfnFeaturesOf(s: SyntaxId): number | undefined {
  if (!s.uuid.startsWith(BTFN_UUID_PREFIX)) return undefined;
  const lo = hexByteAt(s.uuid, 19);
  const hi = hexByteAt(s.uuid, 21);
  if (lo >= 0 && hi >= 0) return lo | (hi << 8);
  const b8 = parseInt(s.uuid.slice(19, 21), 16);
  const b9 = parseInt(s.uuid.slice(21, 23), 16);
  return b8 | (b9 << 8);
}

export const sameSyntax = (a: SyntaxId, b: SyntaxId): boolean => a.uuid === b.uuid && a.version === b.version;

/** NDR flavour of a presentation context. */
export type NdrSyntax = 'ndr32' | 'ndr64';
