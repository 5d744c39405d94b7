/** Numeric values of the DNS registries kmsgrid uses (IANA "Domain Name System (DNS) Parameters"). */
export const RR_TYPE = { A: 1, SOA: 6, AAAA: 28, SRV: 33, TSIG: 250, ANY: 255 } as const;
export type RrTypeName = keyof typeof RR_TYPE;

/** Classes. NONE (RFC 2136 §1.3) and ANY carry the meaning of prerequisites and deletes in UPDATE. */
export const RR_CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;

export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

/** Header RCODEs (RFC 1035, RFC 2136 §2.2). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;
export type RcodeName = keyof typeof RCODE | `RCODE_${number}`;

/** TSIG error field values (RFC 8945 §4.3, §5.2). */
export const TSIG_ERROR = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export type TsigErrorName = keyof typeof TSIG_ERROR | `TSIG_ERROR_${number}`;

/** The name of an RCODE value (`RCODE_<n>` when unassigned here). */
export function rcodeName(value: number): RcodeName {
  for (const [k, v] of Object.entries(RCODE)) if (v === value) return k as keyof typeof RCODE;
  return `RCODE_${value}`;
}

/** The name of a TSIG error value (`TSIG_ERROR_<n>` when unassigned here). */
export function tsigErrorName(value: number): TsigErrorName {
  for (const [k, v] of Object.entries(TSIG_ERROR)) if (v === value) return k as keyof typeof TSIG_ERROR;
  return `TSIG_ERROR_${value}`;
}
