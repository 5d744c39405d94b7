import { HOST_KEYS, KMS_ITEMS } from './catalog.js';
import { parseCatalogGuid } from './guid.js';
import { findHostKey } from './lookup.js';
import type { HostKey } from './types.js';

function resolve(hostKeyIds: readonly string[]): HostKey[] {
  const out: HostKey[] = [];
  for (const id of hostKeyIds) {
    const key = findHostKey(id);
    if (key !== undefined && !out.includes(key)) out.push(key);
  }
  return out;
}

/** Ids (or CSVLK Activation IDs) in `hostKeyIds` that name no host key; empty when all are known. */
export const unknownHostKeyIds = (hostKeyIds: readonly string[]): readonly string[] => hostKeyIds.filter((id) => findHostKey(id) === undefined);

/** Union of the KMS counted IDs the configured host keys activate (unknown ids are ignored; check with {@link unknownHostKeyIds}). */
export function coveredKmsIds(hostKeyIds: readonly string[]): ReadonlySet<string> {
  return new Set(resolve(hostKeyIds).flatMap((k) => k.covers));
}

/**
 * The configured host key that answers for `kmsCountedId`, or `undefined` (→ 0xC004F042).
 * Choice: the least inclusive key that covers it — fewest covered KMS IDs, then oldest
 * generation, then catalog order — mirroring Microsoft's "least-inclusive group" wording
 * (ff793412), so a Windows 7 client gets the Windows 7 key's ePID when both it and a
 * Server 2008 R2 C key are configured.
 */
export function coveringHostKey(hostKeyIds: readonly string[], kmsCountedId: string): HostKey | undefined {
  const id = parseCatalogGuid(kmsCountedId);
  if (id === undefined) return undefined;
  let best: HostKey | undefined;
  for (const key of resolve(hostKeyIds)) {
    if (!key.covers.includes(id)) continue;
    if (
      best === undefined ||
      key.covers.length < best.covers.length ||
      (key.covers.length === best.covers.length && (key.generation < best.generation || (key.generation === best.generation && HOST_KEYS.indexOf(key) < HOST_KEYS.indexOf(best))))
    ) {
      best = key;
    }
  }
  return best;
}

/**
 * Host keys that together cover every volume product in the catalog: the newest Windows
 * Server key (all Windows volume KMS IDs except China Government), the China Government key,
 * and one key per Office release (Office keys cover only their own release).
 */
export const DEFAULT_HOST_KEY_IDS: readonly string[] = Object.freeze([
  'windows-server-2025',
  'windows-10-china-government',
  'office-2010',
  'office-2013',
  'office-2016',
  'office-2019',
  'office-2021',
  'office-2024',
]);

/** KMS counted IDs that some configurable host key can activate (volume channel). */
export const COVERABLE_KMS_IDS: ReadonlySet<string> = new Set(KMS_ITEMS.filter((k) => HOST_KEYS.some((h) => h.covers.includes(k.id))).map((k) => k.id));
