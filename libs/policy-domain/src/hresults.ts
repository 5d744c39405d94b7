/**
 * The HRESULTs the activation policy answers with (kms-facts.md section 6).
 * A refusal is a normal reply, not a service error: the ingress encodes it
 * as the RPC result of RequestActivation and the client shows it.
 */
export const POLICY_HRESULTS = {
  /** HRESULT_FROM_WIN32(ERROR_INVALID_DATA): "The data is invalid." */
  invalidData: 0x8007000d,
  /** SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH: "the specified KMS cannot be used". */
  kmsIdMismatch: 0xc004f042,
  /** "The activation server determined that the request timestamp is invalid." */
  invalidTimestamp: 0xc004f06c,
} as const;

export type PolicyHresultName = keyof typeof POLICY_HRESULTS;
export type PolicyHresult = (typeof POLICY_HRESULTS)[PolicyHresultName];

/** One row of the policy's HRESULT table: value, symbol, when the policy returns it, and where that is documented. */
export interface PolicyHresultInfo {
  readonly name: PolicyHresultName;
  readonly hresult: PolicyHresult;
  /** Hex form as clients print it, e.g. `0xC004F042`. */
  readonly hex: string;
  readonly symbol: string | null;
  readonly returnedWhen: string;
  readonly sources: readonly string[];
}

/** The HRESULT table of the policy, in the order the rules run. */
export const POLICY_HRESULT_TABLE: readonly PolicyHresultInfo[] = [
  {
    name: 'invalidData',
    hresult: POLICY_HRESULTS.invalidData,
    hex: '0x8007000D',
    symbol: 'HRESULT_FROM_WIN32(ERROR_INVALID_DATA)',
    returnedWhen: 'protocol major version not 4, 5 or 6, body not decodable, or N-policy above 1000',
    sources: [
      'vlmcsd man/vlmcs.1 (genuine hosts answer it for unknown protocol versions)',
      'vlmcsd src/kms.c (N-policy above 1000; emulator-specific)',
    ],
  },
  {
    name: 'kmsIdMismatch',
    hresult: POLICY_HRESULTS.kmsIdMismatch,
    hex: '0xC004F042',
    symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH',
    returnedWhen: 'unknown KMS counted ID, application ID not the KMS item\'s, or no configured host key covers the product',
    sources: [
      'https://learn.microsoft.com/en-us/windows-server/get-started/activation-error-codes',
      'windows-sys SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH',
      'vlmcsd src/kms.c (whitelisting refusals)',
    ],
  },
  {
    name: 'invalidTimestamp',
    hresult: POLICY_HRESULTS.invalidTimestamp,
    hex: '0xC004F06C',
    symbol: null,
    returnedWhen: 'client clock differs from the host clock by more than the configured tolerance',
    sources: [
      'https://learn.microsoft.com/en-us/windows-server/get-started/activation-error-codes',
      'vlmcsd src/kms.c and man/vlmcsd.8 -c1 (4 hours; UNVERIFIED against Microsoft)',
    ],
  },
];

/** `0xC004F042` style hex of an HRESULT held as an unsigned 32-bit number. */
export const formatHresult = (hresult: number): string =>
  `0x${(hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
