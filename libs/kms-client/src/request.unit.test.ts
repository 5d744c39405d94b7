import { describe, expect, it } from 'vitest';
import { defaultCatalog } from './catalog.js';
import { toClientOptions, type ActivateOptions } from './client.js';
import type { ClientOptions } from './options.js';
import { fileTimeFromDate, type Guid } from './protocol.js';
import { buildRequest, resolveProduct, type FreshValues } from './request.js';
import { randomGuidV4, randomWorkstationName } from './workstation.js';

const catalog = defaultCatalog();
const fresh: FreshValues = {
  cmid: '6f0f6a3c-1111-4aaa-8bbb-000000000006' as Guid,
  workstation: 'VECTOR-V6.example.test',
  now: new Date('2026-11-27T22:55:55Z'),
};
const g = (s: string) => s as Guid;
/** The options `activate` would use (the CLI's defaults) with these fields set. */
const opts = (o: Omit<ActivateOptions, 'target'> = {}): ClientOptions => {
  const r = toClientOptions({ target: '127.0.0.1', ...o });
  if (!r.ok) throw new Error(r.message);
  return r.options;
};
const build = (o: Omit<ActivateOptions, 'target'> = {}) => {
  const r = buildRequest(opts(o), catalog, fresh);
  if (!r.ok) throw new Error(r.message);
  return r;
};

const WINDOWS = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE_2013 = '0ff1ce15-a989-479d-af46-f275c6370663';

describe('buildRequest', () => {
  it('builds the Windows 10 Enterprise request of the v6 capture from its name', () => {
    const r = build({ product: 'windows 10 enterprise' });
    expect(r.protocol).toBe(6);
    expect(r.request).toEqual({
      kind: 'kms-request',
      majorVersion: 6,
      minorVersion: 0,
      vmInfo: 0,
      licenseStatus: 2,
      bindingExpiration: 43200,
      applicationId: WINDOWS,
      skuId: '73111121-5638-40f6-bc11-f1d7b0d64300',
      kmsCountedId: '58e2134f-8e11-4d17-9cb2-91069c151148',
      cmid: fresh.cmid,
      nPolicy: 25,
      clientTime: fileTimeFromDate(fresh.now),
      previousCmid: '00000000-0000-0000-0000-000000000000',
      workstationName: 'VECTOR-V6.example.test',
    });
    expect(r.product).toMatchObject({ name: 'Windows 10 Enterprise', applicationName: 'Windows', nPolicy: 25, defaultProtocol: 6 });
  });

  it('uses the catalog protocol and N-policy: Server 2008 R2 Datacenter is v4 with 5, Office 2019 v6 with 5', () => {
    const srv = build({ product: 'Windows Server 2008 R2 Datacenter' });
    expect([srv.protocol, srv.request.nPolicy, srv.request.skuId, srv.request.kmsCountedId]).toEqual([
      4, 5, '7482e61b-c589-4b7f-8ecc-46d455ac3b87', 'b2ca2689-a9a8-42d7-938d-cf8e9f201958',
    ]);
    const o19 = build({ product: 'Office Professional Plus 2019' });
    expect([o19.protocol, o19.request.nPolicy, o19.request.applicationId, o19.request.skuId, o19.request.kmsCountedId]).toEqual([
      6, 5, OFFICE_2013, '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03', '617d9eb1-ef36-4f82-86e0-a65ae07b96c6',
    ]);
    const w7 = build({ product: 'Windows 7 Professional' });
    expect([w7.protocol, w7.request.nPolicy, w7.request.kmsCountedId]).toEqual([4, 25, '7fde5219-fbfa-484a-82c9-34d1ad53e856']);
    const o13 = build({ product: 'Office Professional Plus 2013' });
    expect([o13.protocol, o13.request.skuId]).toEqual([5, 'b322da9c-a2e2-4058-9e4e-f59a6970bd69']);
  });

  it('takes every request field from the options when given', () => {
    const r = build({
      product: 'Windows 10 Enterprise',
      protocol: 4,
      cmid: g('00000000-0000-4000-8000-000000000001'),
      previousCmid: g('00000000-0000-4000-8000-000000000002'),
      workstation: 'pc1',
      nPolicy: 1001,
      licenseStatus: 5,
      remainingMinutes: 7,
      vm: true,
    });
    expect(r.request).toMatchObject({
      majorVersion: 4,
      cmid: '00000000-0000-4000-8000-000000000001',
      previousCmid: '00000000-0000-4000-8000-000000000002',
      workstationName: 'pc1',
      nPolicy: 1001,
      licenseStatus: 5,
      bindingExpiration: 7,
      vmInfo: 1,
    });
  });

  it('defaults to Windows 10 Enterprise without a product', () => {
    expect(build().request.kmsCountedId).toBe('58e2134f-8e11-4d17-9cb2-91069c151148');
  });

  it('accepts three explicit GUIDs, naming what the catalog knows', () => {
    const r = build({ appId: g(WINDOWS), kmsId: g('b2ca2689-a9a8-42d7-938d-cf8e9f201958'), skuId: g('7482e61b-c589-4b7f-8ecc-46d455ac3b87') });
    expect(r.request).toMatchObject({ applicationId: WINDOWS, kmsCountedId: 'b2ca2689-a9a8-42d7-938d-cf8e9f201958' });
    expect(r.product.skuName).toBe('Windows Server 2008 R2 Datacenter');
  });

  it('completes a SKU alone from the catalog, and a KMS ID alone with a nil SKU', () => {
    const bySku = build({ skuId: g('85dd8b5f-eaa4-4af3-a628-cce9e77c9a03') });
    expect([bySku.request.applicationId, bySku.request.kmsCountedId, bySku.protocol]).toEqual([OFFICE_2013, '617d9eb1-ef36-4f82-86e0-a65ae07b96c6', 6]);
    const byKms = build({ kmsId: g('617d9eb1-ef36-4f82-86e0-a65ae07b96c6') });
    expect([byKms.request.applicationId, byKms.request.skuId, byKms.request.nPolicy]).toEqual([OFFICE_2013, '00000000-0000-0000-0000-000000000000', 5]);
  });

  it('lets GUIDs override a named product (e.g. a probe with a foreign KMS ID)', () => {
    const r = build({ product: 'Windows 10 Enterprise', kmsId: g('b2ca2689-a9a8-42d7-938d-cf8e9f201958') });
    expect([r.request.skuId, r.request.kmsCountedId]).toEqual(['73111121-5638-40f6-bc11-f1d7b0d64300', 'b2ca2689-a9a8-42d7-938d-cf8e9f201958']);
    expect(r.product.kmsItemName).toMatch(/2008 R2/);
  });

  it('sends unknown GUIDs as given, with protocol 6 and N-policy 25', () => {
    const app = '11111111-2222-4333-8444-555555555555';
    const kms = '66666666-7777-4888-9999-aaaaaaaaaaaa';
    const r = build({ appId: g(app), kmsId: g(kms) });
    expect([r.protocol, r.request.nPolicy, r.request.applicationId, r.request.kmsCountedId, r.request.skuId]).toEqual([
      6, 25, app, kms, '00000000-0000-0000-0000-000000000000',
    ]);
  });

  it('refuses an unknown name with close matches, and an unknown KMS ID without --app', () => {
    const r = buildRequest(opts({ product: 'Windows 10 Enterprize' }), catalog, fresh);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe('unknown product "Windows 10 Enterprize"');
    expect(r.suggestions).toContain('Windows 10 Enterprise');
    const words = resolveProduct({ product: 'server 2019 datacentre' }, catalog);
    expect(!words.ok && words.suggestions).toContain('Windows Server 2019 Datacenter');
    const noApp = resolveProduct({ kmsId: '66666666-7777-4888-9999-aaaaaaaaaaaa' as Guid }, catalog);
    expect(noApp).toEqual({ ok: false, message: 'the catalog does not know this SKU/KMS ID; give --app (or --product)', suggestions: [] });
  });
});

describe('random per-request values', () => {
  it('draws plausible workstation FQDNs that fit WorkstationName, and v4 GUIDs', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomWorkstationName();
      expect(name).toMatch(/^[A-Za-z0-9-]+\.[a-z0-9.-]+\.[a-z]+$/);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(randomGuidV4()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
