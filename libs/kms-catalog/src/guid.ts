declare const catalogGuidBrand: unique symbol;

/**
 * A GUID in canonical lower-case form (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), the same
 * text form as `Guid` in @kmsgrid/kms-protocol, so either can be passed to the lookups.
 * The version nibble is deliberately not checked: Office LTSC 2024's genuine KMS counted
 * ID `a8973cb5-bf03-0a4c-…` has version 0.
 */
export type CatalogGuid = string & { readonly [catalogGuidBrand]: 'CatalogGuid' };

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Normalizes a GUID (any case, optional braces, surrounding blanks); `undefined` if it is not one. */
export function parseCatalogGuid(text: string): CatalogGuid | undefined {
  const s = text.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase();
  return GUID_RE.test(s) ? (s as CatalogGuid) : undefined;
}

/** True for a GUID already in canonical lower-case form. */
export const isCatalogGuid = (text: string): text is CatalogGuid => GUID_RE.test(text);

/** For literals in this library's data: throws at module load if a literal is malformed. */
export function g(text: string): CatalogGuid {
  const id = parseCatalogGuid(text);
  if (id === undefined || id !== text) throw new Error(`kms-catalog data: not a canonical GUID: ${text}`);
  return id;
}
