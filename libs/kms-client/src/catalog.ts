import {
  SKUS,
  findApplication,
  findKmsItem,
  findProductByName,
  normalizeProductName,
  productForSku,
  searchProducts,
  type KmsItem,
  type ProductMatch,
} from '@kmsgrid/kms-catalog';
import type { Guid } from './protocol.js';
import type { ProductCatalogPort, ProductInfo } from './request.js';

const itemInfo = (item: KmsItem): Omit<ProductInfo, 'skuId'> => ({
  applicationId: item.applicationId as string as Guid,
  applicationName: findApplication(item.applicationId)?.name,
  kmsCountedId: item.id as string as Guid,
  kmsItemName: item.name,
  defaultProtocol: item.defaultProtocol,
  nPolicy: item.nPolicy,
});

const matchInfo = (m: ProductMatch): ProductInfo => ({
  ...itemInfo(m.kmsItem),
  // As asked: "Windows 10 Enterprise" is an alias of the SKU named "Windows 11 Enterprise".
  name: m.matchedName,
  skuName: m.sku.name,
  applicationName: m.application.name,
  skuId: m.sku.id as string as Guid,
});

/** Levenshtein distance, for "did you mean" on names with typos. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

let allNames: readonly string[] | undefined;
const productNames = (): readonly string[] =>
  (allNames ??= [...new Set(SKUS.flatMap((s) => [s.name, ...s.releaseAliases.map((r) => r.name), ...s.aliases]))]);

/**
 * Close matches for an unknown product name: the catalog's word search first
 * (every word occurs), else names within a small edit distance, else the names
 * sharing the most words with the query.
 */
export function suggestProducts(text: string, limit = 8): string[] {
  const found = searchProducts(text, limit).map((m) => m.sku.name);
  if (found.length > 0) return [...new Set(found)];
  const q = normalizeProductName(text);
  if (q === '') return [];
  const scored = productNames().map((name) => {
    const n = normalizeProductName(name);
    return { name, d: distance(q, n) / Math.max(q.length, n.length) };
  });
  const close = scored.filter((s) => s.d <= 0.3).sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  if (close.length > 0) return close.slice(0, limit).map((s) => s.name);
  const words = new Set(q.split(' '));
  const overlap = productNames()
    .map((name) => ({ name, k: normalizeProductName(name).split(' ').filter((w) => words.has(w)).length }))
    .filter((s) => s.k > 0)
    .sort((a, b) => b.k - a.k || a.name.length - b.name.length || a.name.localeCompare(b.name));
  return overlap.slice(0, limit).map((s) => s.name);
}

/** The product catalog port over @kmsgrid/kms-catalog. */
export function defaultCatalog(): ProductCatalogPort {
  return {
    byName: (name) => {
      const m = findProductByName(name);
      return m === undefined ? undefined : matchInfo(m);
    },
    bySku: (skuId) => {
      const m = productForSku(skuId);
      return m === undefined ? undefined : matchInfo(m);
    },
    byKmsItem: (kmsId) => {
      const item = findKmsItem(kmsId);
      return item === undefined ? undefined : itemInfo(item);
    },
    applicationName: (appId) => findApplication(appId)?.name,
    suggest: (name) => suggestProducts(name),
  };
}
