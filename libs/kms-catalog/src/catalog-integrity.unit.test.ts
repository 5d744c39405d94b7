import { describe, expect, it } from 'vitest';
import {
  APPLICATIONS,
  CATALOG_CORRECTIONS,
  CATALOG_SOURCES,
  HOST_BUILDS,
  HOST_KEYS,
  KMS_ITEMS,
  SKUS,
  findApplication,
  findHostBuild,
  findKmsItem,
  isCatalogGuid,
} from './index.js';
import { EXCLUDED_KMS_ITEMS, KMS_ID_REPLACEMENTS, MICROSOFT_ROWS_WITHOUT_SKU } from './catalog-overlay.js';
import { NAME_COLLISIONS } from './lookup.js';
import { MICROSOFT_GVLKS } from './raw/microsoft-gvlks.js';
import { XML_CSVLKS } from './raw/kmsdb-extract.generated.js';

const GVLK_RE = /^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/;

describe('catalog integrity', () => {
  it('has the three KMS applications with their well-known ids', () => {
    expect(APPLICATIONS.map((a) => [a.id, a.kind])).toEqual([
      ['55c92734-d682-4d71-983e-d6ec3f16059f', 'windows'],
      ['59a52881-a989-479d-af46-f275c6370663', 'office-2010'],
      ['0ff1ce15-a989-479d-af46-f275c6370663', 'office'],
    ]);
  });

  it('every GUID is canonical and ids are unique per table', () => {
    for (const rows of [APPLICATIONS, KMS_ITEMS, SKUS]) {
      const ids = rows.map((r) => r.id);
      for (const id of ids) expect(isCatalogGuid(id), id).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const csvlkIds = HOST_KEYS.map((h) => h.csvlkId);
    for (const id of csvlkIds) expect(isCatalogGuid(id), id).toBe(true);
    expect(new Set(csvlkIds).size).toBe(csvlkIds.length);
    // An Activation ID is never also a KMS counted ID (the XML's "Windows Vista (1 of 2)" CSVLK is, and is not used).
    const kmsIds = new Set(KMS_ITEMS.map((k) => k.id));
    for (const s of SKUS) expect(kmsIds.has(s.id), s.name).toBe(false);
    for (const h of HOST_KEYS) expect(kmsIds.has(h.csvlkId), h.id).toBe(false);
  });

  it("every SKU's KMS item exists and shares the SKU's application", () => {
    for (const s of SKUS) {
      const k = findKmsItem(s.kmsItemId);
      expect(k, s.name).toBeDefined();
      expect(k?.applicationId).toBe(s.applicationId);
      for (const r of s.releaseAliases) expect(findKmsItem(r.kmsItemId)?.applicationId, r.name).toBe(s.applicationId);
    }
  });

  it("every KMS item's application exists and its N-policy matches its kind", () => {
    for (const k of KMS_ITEMS) {
      const app = findApplication(k.applicationId);
      expect(app, k.name).toBeDefined();
      expect(app?.kind === 'windows', k.name).toBe(k.kind !== 'office');
      // 25 client OS, 5 server OS and Office (kms-activation-planning); multi-session is an Azure-only oddity with 5.
      const expected = k.kind === 'client' && k.channel !== 'azure-only' ? 25 : 5;
      expect(k.nPolicy, k.name).toBe(expected);
    }
  });

  it('every GVLK is a well-formed 5x5 key and no two SKUs share one', () => {
    const keys = SKUS.flatMap((s) => (s.gvlk === undefined ? [] : [s.gvlk]));
    for (const k of keys) expect(k).toMatch(GVLK_RE);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThan(200);
  });

  it("every row of Microsoft's GVLK tables maps to a SKU carrying Microsoft's name and key", () => {
    for (const row of MICROSOFT_GVLKS) {
      if (MICROSOFT_ROWS_WITHOUT_SKU[row.gvlk] !== undefined) continue;
      const sku = SKUS.find((s) => s.gvlk === row.gvlk);
      expect(sku, row.names[0]).toBeDefined();
      expect(sku?.gvlkSource).toBe(row.source);
      const names = [sku?.name, ...(sku?.aliases ?? []), ...(sku?.releaseAliases.map((r) => r.name) ?? [])];
      for (const n of row.names) expect(names, row.gvlk).toContain(n);
    }
  });

  it('Microsoft wins over KmsDataBase.xml: Windows Server 2025 Datacenter: Azure Edition', () => {
    const sku = SKUS.find((s) => s.id === 'c2e946d1-cfa2-4523-8c87-30bc696ee584');
    expect(sku?.name).toBe('Windows Server 2025 Datacenter: Azure Edition');
    expect(sku?.gvlk).toBe('XGN3F-F394H-FD2MY-PP6FD-8MCRC');
    expect(SKUS.some((s) => s.gvlk === 'NQ8HH-FTDTM-6VGY7-TQ3DV-XFBV2')).toBe(false);
    expect(CATALOG_CORRECTIONS.some((c) => c.field === 'gvlk' && c.catalogValue === 'XGN3F-F394H-FD2MY-PP6FD-8MCRC')).toBe(true);
  });

  it('replaces the fabricated KMS counted IDs and drops excluded items', () => {
    for (const r of KMS_ID_REPLACEMENTS) {
      expect(findKmsItem(r.xmlId)).toBeUndefined();
      expect(findKmsItem(r.id)).toBeDefined();
    }
    for (const id of Object.keys(EXCLUDED_KMS_ITEMS)) expect(findKmsItem(id)).toBeUndefined();
    expect(findKmsItem('907f1f65-adcd-4a2e-95bc-4bf500bc6e58')?.name).toBe('Windows Server 2025');
    expect(SKUS.filter((s) => s.kmsItemId === '907f1f65-adcd-4a2e-95bc-4bf500bc6e58').map((s) => s.name)).toContain('Windows Server 2025 Standard');
    expect(SKUS.filter((s) => s.kmsItemId === 'a8973cb5-bf03-0a4c-9cef-703099645ab3').map((s) => s.name)).toContain('Office LTSC Professional Plus 2024');
  });

  it('every row names sources that exist', () => {
    const known = new Set(Object.keys(CATALOG_SOURCES));
    const rows = [...APPLICATIONS, ...KMS_ITEMS, ...SKUS, ...HOST_KEYS, ...HOST_BUILDS, ...CATALOG_CORRECTIONS];
    for (const r of rows) {
      expect(r.sources.length).toBeGreaterThan(0);
      for (const s of r.sources) expect(known.has(s), s).toBe(true);
    }
    for (const s of SKUS) if (s.gvlkSource !== undefined) expect(known.has(s.gvlkSource)).toBe(true);
    for (const s of SKUS) expect(s.sources[0]).toBe('kmsdatabase-xml');
  });

  it('no two products claim the same name or alias', () => {
    expect(NAME_COLLISIONS).toEqual([]);
  });

  it('host keys: kebab-case unique ids, generations and groups consistent, ePID ingredients usable', () => {
    const ids = HOST_KEYS.map((h) => h.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const h of HOST_KEYS) {
      expect(h.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(findApplication(h.applicationId), h.id).toBeDefined();
      expect(h.covers.length, h.id).toBeGreaterThan(0);
      expect(h.epid.groupId).toBeGreaterThanOrEqual(0);
      expect(h.epid.groupId).toBeLessThanOrEqual(99999);
      expect(h.epid.releaseDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const blocks = [...h.epid.keyIdBlocks].sort((a, b) => a.start - b.start);
      expect(blocks.length).toBeGreaterThan(0);
      blocks.forEach((b, i) => {
        expect(b.start).toBeGreaterThanOrEqual(0);
        expect(b.end).toBeLessThanOrEqual(999999999);
        expect(b.start).toBeLessThanOrEqual(b.end);
        if (i > 0) expect(b.start, h.id).toBeGreaterThan(blocks[i - 1]!.end);
      });
      const build = findHostBuild(h.epid.defaultHostBuild);
      expect(build?.useForEpid, `${h.id} ${h.epid.defaultHostBuild}`).toBe(true);
      expect(XML_CSVLKS.some((c) => c.id === h.csvlkId && !c.isLab && !c.isPreview), h.id).toBe(true);
    }
  });

  it('host builds carry platform ids (3612 for every build >= 10240)', () => {
    for (const b of HOST_BUILDS) if (b.build >= 10240) expect(b.platformId, String(b.build)).toBe(3612);
    expect(findHostBuild(26100)?.useForEpid).toBe(true);
    expect(findHostBuild(9600)?.platformId).toBe(6401);
  });

  it('data is frozen', () => {
    expect(Object.isFrozen(SKUS)).toBe(true);
    expect(Object.isFrozen(SKUS[0])).toBe(true);
    expect(Object.isFrozen(HOST_KEYS[0]?.covers)).toBe(true);
  });
});
