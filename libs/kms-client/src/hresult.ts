/**
 * HRESULTs a KMS host answers with instead of a response (the stub carries only
 * the status). `symbol` is the SDK's name where it is documented (windows-sys
 * constants, Win32 error table); otherwise only the Microsoft troubleshooting
 * text is known. Sources: /work/shared/reference/kms-facts.md §6.
 */
const KNOWN: Readonly<Record<number, { readonly symbol?: string; readonly text: string }>> = {
  0xc004f038: { symbol: 'SL_E_VL_NOT_ENOUGH_COUNT', text: 'the count reported by the KMS host is insufficient' },
  0xc004f039: { text: 'the KMS host is not enabled (did not respond)' },
  0xc004f041: { symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED', text: 'the KMS host is not activated' },
  0xc004f042: { symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH', text: 'the KMS host cannot activate this product' },
  0xc004f06b: { symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED', text: 'virtual machines are not supported' },
  0xc004f06c: { symbol: 'SL_E_VL_INVALID_TIMESTAMP', text: 'the request timestamp is invalid (clock skew)' },
  0xc004f074: { text: 'no KMS host could be contacted' },
  0xc004f050: { text: 'the product key is invalid' },
  0xc004f069: { text: 'the product SKU is not found' },
  0xc004d104: { text: 'invalid data (vlmcsd: too many distinct clients)' },
  0x8007000d: { symbol: 'ERROR_INVALID_DATA', text: 'the data is invalid (unsupported protocol version or N-policy)' },
  0x800706ba: { symbol: 'RPC_S_SERVER_UNAVAILABLE', text: 'the RPC server is unavailable' },
};

/** `0xC004F042` style: upper-case, 8 digits. */
export const formatHresult = (hr: number): string => '0x' + (hr >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** The SDK symbol of a KMS HRESULT, or else Microsoft's short explanation; undefined if unknown. */
export function hresultName(hr: number): string | undefined {
  const known = KNOWN[hr >>> 0];
  return known ? (known.symbol ?? known.text) : undefined;
}

/**
 * @example describeHresult(0xc004f042) // 'HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)'
 */
export function describeHresult(hr: number): string {
  const name = hresultName(hr);
  return `HRESULT ${formatHresult(hr)}${name ? ` (${name})` : ''}`;
}
