/** Why a catalog operation refused its input. */
export type CatalogErrorCode =
  | 'EPID_FIELD' // an ePID ingredient is out of range
  | 'EPID_FORMAT' // text is not an ePID
  | 'KEY_ID_RANGE' // key id outside the host key's valid blocks
  | 'UNKNOWN_HOST_BUILD' // no platform id known for that Windows build
  | 'UNKNOWN_HOST_KEY'; // no host key with that id

/** A typed refusal; returned in a {@link CatalogResult}, never thrown by the public API. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    readonly code: CatalogErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

/** Success or a typed error. */
export type CatalogResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CatalogError };

export const ok = <T>(value: T): CatalogResult<T> => ({ ok: true, value });
export const err = <T>(code: CatalogErrorCode, reason: string): CatalogResult<T> => ({ ok: false, error: new CatalogError(code, reason) });
