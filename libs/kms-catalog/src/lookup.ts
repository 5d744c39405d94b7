import { APPLICATIONS, HOST_BUILDS, HOST_KEYS, KMS_ITEMS, SKUS } from './catalog.js';
import { parseCatalogGuid } from './guid.js';
import type { Application, HostBuild, HostKey, KmsItem, ProductMatch, Sku } from './types.js';

const byId = <T extends { readonly id: string }>(rows: readonly T[]): ReadonlyMap<string, T> => new Map(rows.map((r) => [r.id, r]));
const applications = byId(APPLICATIONS);
const kmsItems = byId(KMS_ITEMS);
const skus = byId(SKUS);
const hostKeys = new Map<string, HostKey>([...HOST_KEYS.map((h) => [h.id, h] as const), ...HOST_KEYS.map((h) => [h.csvlkId, h] as const)]);
const hostBuilds = new Map<number, HostBuild>(HOST_BUILDS.map((b) => [b.build, b]));
const skusByGvlk = new Map<string, Sku>(SKUS.flatMap((s) => (s.gvlk === undefined ? [] : [[s.gvlk, s] as const])));

const lookup = <T>(map: ReadonlyMap<string, T>, id: string): T | undefined => {
  const guid = parseCatalogGuid(id);
  return guid === undefined ? undefined : map.get(guid);
};

/** Application by AppID (any case, braces allowed). */
export const findApplication = (id: string): Application | undefined => lookup(applications, id);
/** KMS counted ID entry by KMSID (any case, braces allowed). */
export const findKmsItem = (id: string): KmsItem | undefined => lookup(kmsItems, id);
/** SKU by Activation ID (any case, braces allowed). */
export const findSku = (id: string): Sku | undefined => lookup(skus, id);
/** SKU by its GVLK (`XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, any case). */
export const findSkuByGvlk = (gvlk: string): Sku | undefined => skusByGvlk.get(gvlk.trim().toUpperCase());
/** Host key by stable id (`windows-server-2019`) or by its CSVLK Activation ID. */
export const findHostKey = (id: string): HostKey | undefined => hostKeys.get(id.trim().toLowerCase()) ?? lookup(hostKeys, id);
/** Host OS build (for the ePID's platform id), e.g. `findHostBuild(17763)`. */
export const findHostBuild = (build: number): HostBuild | undefined => hostBuilds.get(build);

/** Case-, blank- and punctuation-insensitive form used for name lookups. */
export function normalizeProductName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[®™:,()]/g, ' ')
    .replace(/^\s*microsoft\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

interface NameEntry {
  readonly sku: Sku;
  readonly kmsItemId: string;
  readonly name: string;
  readonly primary: boolean;
}

function buildNameIndex(): { index: ReadonlyMap<string, NameEntry>; collisions: readonly string[] } {
  const index = new Map<string, NameEntry>();
  const collisions: string[] = [];
  const add = (entry: NameEntry): void => {
    const key = normalizeProductName(entry.name);
    const prev = index.get(key);
    if (prev === undefined) {
      index.set(key, entry);
    } else if (prev.sku.id !== entry.sku.id || prev.kmsItemId !== entry.kmsItemId) {
      collisions.push(`${entry.name}: ${prev.sku.id} / ${entry.sku.id}`);
      if (entry.primary && !prev.primary) index.set(key, entry);
    }
  };
  // Primary names first so that an alias never shadows another product's own name.
  for (const sku of SKUS) add({ sku, kmsItemId: sku.kmsItemId, name: sku.name, primary: true });
  for (const sku of SKUS) for (const r of sku.releaseAliases) add({ sku, kmsItemId: r.kmsItemId, name: r.name, primary: true });
  for (const sku of SKUS) for (const a of sku.aliases) add({ sku, kmsItemId: sku.kmsItemId, name: a, primary: false });
  return { index, collisions };
}

const names = buildNameIndex();

/** Names that two different products claim (the unit tests require none). */
export const NAME_COLLISIONS: readonly string[] = Object.freeze([...names.collisions]);

function toMatch(entry: NameEntry): ProductMatch | undefined {
  const kmsItem = kmsItems.get(entry.kmsItemId);
  const application = kmsItem === undefined ? undefined : applications.get(kmsItem.applicationId);
  return kmsItem === undefined || application === undefined ? undefined : { sku: entry.sku, kmsItem, application, matchedName: entry.name };
}

/**
 * Resolves a product by Microsoft's name or an alias, case-insensitively.
 * @example findProductByName('Office ProPlus 2019')?.sku.id === '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03'
 */
export function findProductByName(name: string): ProductMatch | undefined {
  const entry = names.index.get(normalizeProductName(name));
  return entry === undefined ? undefined : toMatch(entry);
}

/** A product by SKU id with its default KMS item and application. */
export function productForSku(skuId: string): ProductMatch | undefined {
  const sku = findSku(skuId);
  return sku === undefined ? undefined : toMatch({ sku, kmsItemId: sku.kmsItemId, name: sku.name, primary: true });
}

/**
 * Suggestions for free text: every word must occur in a product's name or alias (or the text
 * is a SKU id / GVLK). Exact names first, then prefixes, then by name. One result per name.
 * @example searchProducts('server 2019 datacenter')[0]?.sku.name === 'Windows Server 2019 Datacenter'
 */
export function searchProducts(text: string, limit = 20): readonly ProductMatch[] {
  const q = normalizeProductName(text);
  if (q === '' || limit <= 0) return [];
  const direct = findSku(text) ?? findSkuByGvlk(text);
  if (direct !== undefined) {
    const m = productForSku(direct.id);
    return m === undefined ? [] : [m];
  }
  const words = q.split(' ');
  const scored: { score: number; entry: NameEntry }[] = [];
  const seen = new Set<string>();
  for (const [key, entry] of names.index) {
    if (!words.every((w) => key.includes(w))) continue;
    const score = key === q ? 0 : key.startsWith(q) ? 1 : entry.primary ? 2 : 3;
    scored.push({ score, entry });
  }
  scored.sort((a, b) => a.score - b.score || a.entry.name.localeCompare(b.entry.name));
  const out: ProductMatch[] = [];
  for (const { entry } of scored) {
    const id = `${entry.sku.id}/${entry.kmsItemId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const m = toMatch(entry);
    if (m !== undefined) out.push(m);
    if (out.length >= limit) break;
  }
  return out;
}
