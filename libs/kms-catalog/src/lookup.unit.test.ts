import { describe, expect, it } from 'vitest';
import { findApplication, findHostKey, findKmsItem, findProductByName, findSku, findSkuByGvlk, normalizeProductName, productForSku, searchProducts } from './index.js';
import { MICROSOFT_ROWS_WITHOUT_SKU } from './catalog-overlay.js';
import { MICROSOFT_GVLKS } from './raw/microsoft-gvlks.js';

const WINDOWS = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE = '0ff1ce15-a989-479d-af46-f275c6370663';

// The products and GUIDs of /work/shared/vectors/README.md (AppID / SKU / KMS ID).
const VECTORS: readonly [string, string, string, string][] = [
  ['Windows 7 Professional', WINDOWS, 'b92e9980-b9d5-4821-9c94-140f632f6312', '7fde5219-fbfa-484a-82c9-34d1ad53e856'],
  ['Windows 8 Enterprise', WINDOWS, '458e1bec-837a-45f6-b9d5-925ed5d299de', '3c40b358-5948-45af-923b-53d21fcc7e79'],
  ['Windows 10 Enterprise', WINDOWS, '73111121-5638-40f6-bc11-f1d7b0d64300', '58e2134f-8e11-4d17-9cb2-91069c151148'],
  ['Windows 11 Enterprise', WINDOWS, '73111121-5638-40f6-bc11-f1d7b0d64300', '58e2134f-8e11-4d17-9cb2-91069c151148'],
  ['Office Professional Plus 2019', OFFICE, '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03', '617d9eb1-ef36-4f82-86e0-a65ae07b96c6'],
  ['Office ProPlus 2019', OFFICE, '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03', '617d9eb1-ef36-4f82-86e0-a65ae07b96c6'],
  ['Windows Server 2008 R2 Datacenter', WINDOWS, '7482e61b-c589-4b7f-8ecc-46d455ac3b87', 'b2ca2689-a9a8-42d7-938d-cf8e9f201958'],
  ['Office Professional Plus 2013', OFFICE, 'b322da9c-a2e2-4058-9e4e-f59a6970bd69', 'e6a6f1bf-9d40-40c3-aa9f-c77ba21578c0'],
  ['Office ProPlus 2013', OFFICE, 'b322da9c-a2e2-4058-9e4e-f59a6970bd69', 'e6a6f1bf-9d40-40c3-aa9f-c77ba21578c0'],
];

describe('findProductByName', () => {
  it.each(VECTORS)('%s resolves to the GUIDs in the vectors README', (name, app, sku, kms) => {
    const m = findProductByName(name);
    expect(m?.application.id).toBe(app);
    expect(m?.sku.id).toBe(sku);
    expect(m?.kmsItem.id).toBe(kms);
    expect(m?.matchedName).toBe(name);
  });

  it('is case-, blank- and punctuation-insensitive', () => {
    expect(findProductByName('  office   PROPLUS 2019 ')?.sku.id).toBe('85dd8b5f-eaa4-4af3-a628-cce9e77c9a03');
    expect(findProductByName('Microsoft Windows Server 2025 Datacenter Azure Edition')?.sku.id).toBe('c2e946d1-cfa2-4523-8c87-30bc696ee584');
    expect(findProductByName('windows server 2025 datacenter: azure edition')?.sku.gvlk).toBe('XGN3F-F394H-FD2MY-PP6FD-8MCRC');
    expect(normalizeProductName('Windows® 10 Pro:  N')).toBe('windows 10 pro n');
  });

  it("resolves every name in Microsoft's GVLK tables to the SKU with Microsoft's key", () => {
    for (const row of MICROSOFT_GVLKS) {
      if (MICROSOFT_ROWS_WITHOUT_SKU[row.gvlk] !== undefined) {
        expect(findProductByName(row.names[0]!)).toBeUndefined();
        continue;
      }
      for (const name of row.names) expect(findProductByName(name)?.sku.gvlk, name).toBe(row.gvlk);
    }
  });

  it('accepts the vlmcs / KmsDataBase.xml spellings too', () => {
    expect(findProductByName('Windows 10/11 Enterprise')?.sku.id).toBe('73111121-5638-40f6-bc11-f1d7b0d64300');
    expect(findProductByName('Office Project Pro 2019')?.sku.name).toBe('Project Professional 2019');
    expect(findProductByName('Office Visio LTSC Pro 2021')?.sku.name).toBe('Visio LTSC Professional 2021');
    expect(findProductByName('Windows 8.1 Professional')?.sku.name).toBe('Windows 8.1 Pro');
    expect(findProductByName('Windows Server 2008 R2 Enterprise for Itanium')?.sku.name).toBe('Windows Server 2008 R2 for Itanium-based Systems');
  });

  it('LTSC releases sharing one SKU resolve to their own KMS counted ID (UNVERIFIED mapping)', () => {
    expect(findProductByName('Windows 10 Enterprise LTSC 2019')?.kmsItem.id).toBe('11b15659-e603-4cf1-9c1f-f0ec01b81888');
    expect(findProductByName('Windows 10 Enterprise LTSC 2021')?.kmsItem.id).toBe('3b576817-7b75-4362-9e13-223f2d9e9c97');
    const ltsc2024 = findProductByName('Windows 11 Enterprise LTSC 2024');
    expect(ltsc2024?.kmsItem.id).toBe('e85ee727-69c4-4528-99d2-216b0f065e38');
    expect(ltsc2024?.sku.id).toBe('32d2fab3-e4a8-42c2-923b-4bf4fd13e6ee');
    expect(ltsc2024?.sku.gvlk).toBe('M7XTQ-FN8P6-TTKYV-9D4CC-J462D');
  });

  it('answers undefined for unknown names', () => {
    expect(findProductByName('Windows 95')).toBeUndefined();
    expect(findProductByName('')).toBeUndefined();
  });
});

describe('id lookups', () => {
  it('accept any GUID spelling and reject non-GUIDs', () => {
    expect(findSku('{B92E9980-B9D5-4821-9C94-140F632F6312}')?.name).toBe('Windows 7 Professional');
    expect(findKmsItem('7FDE5219-FBFA-484A-82C9-34D1AD53E856')?.name).toBe('Windows 7');
    expect(findApplication(OFFICE)?.name).toBe('Office 2013 and later');
    expect(findSku('b92e9980')).toBeUndefined();
    expect(findKmsItem('')).toBeUndefined();
  });

  it('find host keys by stable id or CSVLK Activation ID', () => {
    expect(findHostKey('windows-server-2019')?.csvlkId).toBe('2e7a9ad1-a849-4b56-babe-17d5a29fe4b4');
    expect(findHostKey('{70512334-47B4-44DB-A233-BE5EA33B914C}')?.id).toBe('office-2019');
    expect(findHostKey('Windows-Server-2019')?.id).toBe('windows-server-2019');
    expect(findHostKey('nope')).toBeUndefined();
  });

  it('find SKUs by GVLK and products by SKU', () => {
    expect(findSkuByGvlk('w269n-wfgwx-yvc9b-4j6c9-t83gx')?.name).toBe('Windows 11 Pro');
    expect(productForSku('85dd8b5f-eaa4-4af3-a628-cce9e77c9a03')?.kmsItem.name).toBe('Office 2019');
    expect(productForSku('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });
});

describe('searchProducts', () => {
  it('ranks the exact name first', () => {
    const r = searchProducts('Windows Server 2019 Datacenter');
    expect(r[0]?.sku.name).toBe('Windows Server 2019 Datacenter');
  });

  it('matches all words in any order and deduplicates products', () => {
    const r = searchProducts('2019 datacenter server');
    const names = r.map((m) => m.sku.name);
    expect(names).toContain('Windows Server 2019 Datacenter');
    expect(new Set(r.map((m) => `${m.sku.id}/${m.kmsItem.id}`)).size).toBe(r.length);
  });

  it('finds by alias spelling, SKU id or GVLK and honours the limit', () => {
    expect(searchProducts('proplus 2021').map((m) => m.sku.name)).toContain('Office LTSC Professional Plus 2021');
    expect(searchProducts('85DD8B5F-EAA4-4AF3-A628-CCE9E77C9A03')[0]?.sku.name).toBe('Office Professional Plus 2019');
    expect(searchProducts('NPPR9-FWDCX-D2C8J-H872K-2YT43')[0]?.sku.name).toBe('Windows 11 Enterprise');
    expect(searchProducts('windows', 5)).toHaveLength(5);
    expect(searchProducts('   ')).toEqual([]);
    expect(searchProducts('zzzz qqqq')).toEqual([]);
  });
});
