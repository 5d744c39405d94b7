import { describe, expect, it } from 'vitest';
import {
  COVERABLE_KMS_IDS,
  DEFAULT_HOST_KEY_IDS,
  HOST_KEYS,
  KMS_ITEMS,
  SKUS,
  coveredKmsIds,
  coveringHostKey,
  findHostKey,
  findKmsItem,
  findProductByName,
  unknownHostKeyIds,
  type HostKey,
} from './index.js';

// KMS counted IDs (KmsDataBase.xml; WS2025 / LTSC 2021 / LTSC 2024 from kmsrsos-pkeyconfig).
const K = {
  vista: '212a64dc-43b1-4d3d-a30c-2fc69d2095c6',
  ws2008a: '33e156e4-b76f-4a52-9f91-f641dd95ac48',
  ws2008b: '8fe53387-3087-4447-8985-f75132215ac9',
  ws2008c: '8a21fdf3-cbc5-44eb-83f3-fe284e6680a7',
  win7: '7fde5219-fbfa-484a-82c9-34d1ad53e856',
  r2a: '0fc6ccaf-ff0e-4fae-9d08-4370785bf7ed',
  r2b: 'ca87f5b6-cd46-40c0-b06d-8ecd57a4373f',
  r2c: 'b2ca2689-a9a8-42d7-938d-cf8e9f201958',
  win8: '3c40b358-5948-45af-923b-53d21fcc7e79',
  win8retail: 'bbb97b3b-8ca4-4a28-9717-89fabd42c4ac',
  ws2012: '8665cb71-468c-4aa3-a337-cb9bc9d5eaac',
  win81: 'cb8fc780-2c05-495a-9710-85afffc904d7',
  ws2012r2: '8456efd3-0c04-4089-8740-5b7238535a65',
  win10: '58e2134f-8e11-4d17-9cb2-91069c151148',
  win10unassigned: 'd27cd636-1962-44e9-8b4f-27b6c23efb85',
  win10retail: 'e1c51358-fe3e-4203-a4a2-3b6b20c9734e',
  chinaGov: '7ba0bf23-d0f5-4072-91d9-d55af5a481b6',
  ltsb2016: '969fe3c0-a3ec-491a-9f25-423605deb365',
  ws2016: '6e9fc069-257d-4bc4-b4a7-750514d32743',
  ltsc2019: '11b15659-e603-4cf1-9c1f-f0ec01b81888',
  ws2019: '8449b1fb-f0ea-497a-99ab-66ca96e9a0f5',
  multiSession: 'cbdcb1ba-e093-4c81-a463-10775291fdf9',
  ltsc2021: '3b576817-7b75-4362-9e13-223f2d9e9c97',
  ws2022: 'b74263e4-0f92-46c6-bcf8-c11d5efe2959',
  ltsc2024: 'e85ee727-69c4-4528-99d2-216b0f065e38',
  ws2025: '907f1f65-adcd-4a2e-95bc-4bf500bc6e58',
  office2010: 'e85af946-2e25-47b7-83e1-bebcebeac611',
  office2013: 'e6a6f1bf-9d40-40c3-aa9f-c77ba21578c0',
  office2016: '85b5f61b-320b-4be3-814a-b76b2bfafc82',
  office2019: '617d9eb1-ef36-4f82-86e0-a65ae07b96c6',
  office2021: '86d50b16-4808-41af-b83b-b338274318b2',
  office2024: 'a8973cb5-bf03-0a4c-9cef-703099645ab3',
} as const;

const key = (id: string): HostKey => {
  const k = findHostKey(id);
  if (k === undefined) throw new Error(`no host key ${id}`);
  return k;
};
const covers = (hostKeyId: string, kmsId: string): boolean => key(hostKeyId).covers.includes(kmsId as never);
const coversProduct = (hostKeyId: string, name: string): boolean => {
  const m = findProductByName(name);
  if (m === undefined) throw new Error(`no product ${name}`);
  return covers(hostKeyId, m.kmsItem.id);
};
const sorted = (xs: readonly string[]): string[] => [...xs].sort();
const RANK = { 'client-vl': 0, 'server-a': 1, 'server-b': 2, 'server-c': 3, server: 3 } as const;
const windowsHierarchy = HOST_KEYS.filter((h) => h.group in RANK);
const rank = (h: HostKey): number => RANK[h.group as keyof typeof RANK];

describe('Windows Vista / 7 era product key groups (ff793412, cc308698)', () => {
  it('a Windows 7 host key activates Windows 7 and Vista client VL', () => {
    expect(sorted(key('windows-7-client-vl').covers)).toEqual(sorted([K.win7, K.vista]));
  });

  it('a Vista host key cannot activate Windows 7', () => {
    expect(covers('windows-vista-client-vl', K.win7)).toBe(false);
    expect(key('windows-vista-client-vl').covers).toEqual([K.vista]);
  });

  it('Server 2008 R2 group C activates the whole 2008 R2 / Windows 7 family and the 2008 / Vista family', () => {
    const family = [
      'Windows Server 2008 R2 Web',
      'Windows Server 2008 R2 HPC edition',
      'Windows MultiPoint Server 2010',
      'Windows Server 2008 R2 Standard',
      'Windows Server 2008 R2 Enterprise',
      'Windows Server 2008 R2 Datacenter',
      'Windows Server 2008 R2 for Itanium-based Systems',
      'Windows 7 Professional',
      'Windows 7 Enterprise',
      'Windows Web Server 2008',
      'Windows Server 2008 HPC',
      'Windows Server 2008 Standard',
      'Windows Server 2008 Enterprise without Hyper-V',
      'Windows Server 2008 Datacenter',
      'Windows Server 2008 for Itanium-Based Systems',
      'Windows Vista Business',
      'Windows Vista Enterprise N',
    ];
    for (const name of family) expect(coversProduct('windows-server-2008-r2-c', name), name).toBe(true);
    expect(sorted(key('windows-server-2008-r2-c').covers)).toEqual(sorted([K.r2a, K.r2b, K.r2c, K.win7, K.ws2008a, K.ws2008b, K.ws2008c, K.vista]));
  });

  it('group B refuses Datacenter (and Itanium) but takes Standard, Enterprise, Web, HPC and clients', () => {
    for (const name of ['Windows Server 2008 R2 Datacenter', 'Windows Server 2008 R2 for Itanium-based Systems', 'Windows Server 2008 Datacenter']) {
      expect(coversProduct('windows-server-2008-r2-b', name), name).toBe(false);
    }
    expect(sorted(key('windows-server-2008-r2-b').covers)).toEqual(sorted([K.r2a, K.r2b, K.win7, K.ws2008a, K.ws2008b, K.vista]));
    // "a KMS host that is activated with a Server Group B KMS key can activate Windows Server 2008 Standard, Enterprise and Web editions, and Windows Vista editions"
    expect(sorted(key('windows-server-2008-b').covers)).toEqual(sorted([K.ws2008a, K.ws2008b, K.vista]));
  });

  it('group A covers Web and HPC only among servers', () => {
    expect(coversProduct('windows-server-2008-r2-a', 'Windows Server 2008 R2 Web')).toBe(true);
    expect(coversProduct('windows-server-2008-r2-a', 'Windows Server 2008 R2 HPC edition')).toBe(true);
    expect(coversProduct('windows-server-2008-r2-a', 'Windows Server 2008 R2 Standard')).toBe(false);
    expect(coversProduct('windows-server-2008-a', 'Windows Server 2008 Standard')).toBe(false);
  });

  it('a 2008 key never covers 2008 R2 / Windows 7', () => {
    for (const id of ['windows-server-2008-a', 'windows-server-2008-b', 'windows-server-2008-c']) {
      for (const k of [K.r2a, K.r2b, K.r2c, K.win7]) expect(covers(id, k), `${id} ${k}`).toBe(false);
    }
  });
});

describe("Microsoft's activation-versions table (kms-activation-planning)", () => {
  const servers2008to2012r2 = [K.ws2012r2, K.ws2012, K.r2a, K.r2b, K.r2c, K.ws2008a, K.ws2008b, K.ws2008c];

  it('Volume License for Windows Server 2025', () => {
    const listed = [K.ws2025, K.ws2022, K.ws2019, K.ws2016, ...servers2008to2012r2, K.ltsc2024, K.win10, K.ltsc2021, K.ltsc2019, K.ltsb2016, K.win81, K.win7];
    for (const k of listed) expect(covers('windows-server-2025', k), k).toBe(true);
    for (const name of ['Windows 11 Enterprise', 'Windows 11 Pro for Workstations N', 'Windows 11 Education', 'Windows 11 Enterprise LTSC 2024', 'Windows 10 Enterprise LTSC 2021', 'Windows Server Datacenter (version 1803)']) {
      expect(coversProduct('windows-server-2025', name), name).toBe(true);
    }
  });

  it('Volume License for Windows Server 2022 (not Server 2025, not LTSC 2024)', () => {
    const listed = [K.ws2022, K.ws2019, K.ws2016, ...servers2008to2012r2, K.win10, K.ltsc2021, K.ltsc2019, K.ltsb2016, K.win81, K.win7];
    for (const k of listed) expect(covers('windows-server-2022', k), k).toBe(true);
    expect(covers('windows-server-2022', K.ws2025)).toBe(false);
    expect(covers('windows-server-2022', K.ltsc2024)).toBe(false);
  });

  it('Volume License for Windows Server 2019 (not Server 2022)', () => {
    const listed = [K.ws2019, K.ws2016, ...servers2008to2012r2, K.win10, K.ltsc2019, K.ltsb2016, K.win81, K.win7];
    for (const k of listed) expect(covers('windows-server-2019', k), k).toBe(true);
    expect(covers('windows-server-2019', K.ws2022)).toBe(false);
    expect(coversProduct('windows-server-2019', 'Windows Server Datacenter (Semi-Annual Channel, versions 20H2, 2004, 1909, 1903, 1809)')).toBe(true);
  });

  it('Volume License for Windows Server 2016: WS2016…2008 + Win10 LTSB 2015/2016, Win 10, 8.1, 7', () => {
    const listed = [K.ws2016, ...servers2008to2012r2, K.ltsb2016, K.win10, K.win81, K.win7];
    for (const k of listed) expect(covers('windows-server-2016', k), k).toBe(true);
    for (const name of ['Windows 10 Enterprise LTSB 2015', 'Windows 10 Enterprise N LTSB 2016', 'Windows 10 Pro for Workstations', 'Windows 8.1 Pro', 'Windows 7 Enterprise']) {
      expect(coversProduct('windows-server-2016', name), name).toBe(true);
    }
    expect(covers('windows-server-2016', K.ws2019)).toBe(false);
    expect(covers('windows-server-2016', K.ltsc2019)).toBe(false);
  });

  it('Volume license for Windows 10: LTSB 2015, Win 10, 8.1, 7 — client OS only', () => {
    for (const k of [K.win10, K.win81, K.win7]) expect(covers('windows-10-client', k), k).toBe(true);
    expect(coversProduct('windows-10-client', 'Windows 10 Enterprise LTSB 2015')).toBe(true);
    expect(covers('windows-10-client', K.ltsb2016)).toBe(false);
    for (const k of key('windows-10-client').covers) expect(findKmsItem(k)?.kind).toBe('client');
  });
});

describe('rule output equals the counted-ID lists of Microsoft CSVLK licences (kmsrsos-pkeyconfig)', () => {
  // Security-SPP-KmsCountedIdList per CSVLK, as extracted by schlarpc/kmsrsos from Windows Server 2025 SPP tokens.
  const licence: Record<string, readonly string[]> = {
    'windows-10-client': [K.vista, K.win8, K.win10, K.win7, K.win81, K.win10unassigned],
    'windows-10-2016-client': [K.vista, K.win8, K.win10, K.win7, K.ltsb2016, K.win81, K.win10unassigned],
    'windows-10-2019-client': [K.ltsc2019, K.vista, K.win8, K.win10, K.win7, K.ltsb2016, K.win81, K.win10unassigned],
    'windows-server-2025': [
      K.r2a, K.ltsc2019, K.vista, K.ws2008a, K.ltsc2021, K.win8, K.win10, K.ws2016, K.win7, K.ws2019, K.ws2012r2,
      K.ws2012, K.ws2008c, K.ws2008b, K.ws2025, K.ltsb2016, K.r2c, K.ws2022, K.r2b, K.win81, K.win10unassigned, K.ltsc2024,
    ],
    'office-2024': [K.office2024],
  };
  for (const [id, list] of Object.entries(licence)) {
    it(id, () => expect(sorted(key(id).covers)).toEqual(sorted(list)));
  }
});

describe('general rules', () => {
  it('newest keys cover older releases: a key covers everything an older-or-equal, lower-or-equal key covers', () => {
    for (const a of windowsHierarchy) {
      for (const b of windowsHierarchy) {
        if (a.generation <= b.generation && rank(a) <= rank(b)) {
          for (const k of a.covers) expect(b.covers, `${b.id} ⊇ ${a.id}`).toContain(k);
        }
      }
    }
    expect(sorted(key('windows-server-2025').covers)).toEqual(sorted(windowsHierarchy.flatMap((h) => h.covers).filter((v, i, xs) => xs.indexOf(v) === i)));
  });

  it('never a newer generation', () => {
    for (const h of HOST_KEYS) for (const k of h.covers) expect(findKmsItem(k)!.generation, `${h.id} ${k}`).toBeLessThanOrEqual(h.generation);
    expect(covers('windows-server-2008-r2-c', K.ws2012)).toBe(false);
    expect(covers('windows-server-2019', K.ltsc2021)).toBe(false);
  });

  it('client keys never cover servers', () => {
    const clientKeys = HOST_KEYS.filter((h) => h.clientOnly);
    expect(clientKeys.map((h) => h.id)).toEqual(expect.arrayContaining(['windows-vista-client-vl', 'windows-7-client-vl', 'windows-10-client']));
    for (const h of clientKeys) for (const k of h.covers) expect(findKmsItem(k)?.kind, `${h.id} ${k}`).toBe('client');
  });

  it('Office and Windows are separate; Office 2010 and Office 2013+ are separate', () => {
    for (const h of HOST_KEYS) {
      for (const k of h.covers) expect(findKmsItem(k)?.applicationId, `${h.id} ${k}`).toBe(h.applicationId);
    }
    expect(covers('windows-server-2025', K.office2019)).toBe(false);
    expect(covers('office-2019', K.win10)).toBe(false);
    expect(covers('office-2013', K.office2010)).toBe(false);
  });

  it('an Office key covers its own release only (Microsoft: a KMS host key for each version of Office)', () => {
    expect(key('office-2010').covers).toEqual([K.office2010]);
    expect(key('office-2013').covers).toEqual([K.office2013]);
    expect(key('office-2016').covers).toEqual([K.office2016]);
    expect(key('office-2019').covers).toEqual([K.office2019]);
    expect(key('office-2021').covers).toEqual([K.office2021]);
    expect(key('office-2024').covers).toEqual([K.office2024]);
  });

  it('China Government is lateral', () => {
    expect(key('windows-10-china-government').covers).toEqual([K.chinaGov]);
    for (const h of HOST_KEYS) if (h.id !== 'windows-10-china-government') expect(h.covers).not.toContain(K.chinaGov);
    expect(coversProduct('windows-10-china-government', 'Windows 10 Enterprise G')).toBe(true);
  });

  it('retail and Azure-only KMS IDs are covered by no configurable key', () => {
    for (const k of [K.win8retail, K.win10retail, K.multiSession]) {
      for (const h of HOST_KEYS) expect(h.covers, h.id).not.toContain(k);
      expect(COVERABLE_KMS_IDS.has(k)).toBe(false);
    }
  });
});

describe('DEFAULT_HOST_KEY_IDS', () => {
  it('names configurable keys only', () => {
    expect(unknownHostKeyIds(DEFAULT_HOST_KEY_IDS)).toEqual([]);
  });

  it('covers every volume product in the catalog', () => {
    const covered = coveredKmsIds(DEFAULT_HOST_KEY_IDS);
    for (const k of KMS_ITEMS) if (k.channel === 'volume') expect(covered.has(k.id), k.name).toBe(true);
    for (const s of SKUS) {
      const k = findKmsItem(s.kmsItemId)!;
      if (k.channel === 'volume') expect(covered.has(s.kmsItemId), s.name).toBe(true);
      for (const r of s.releaseAliases) expect(covered.has(r.kmsItemId), r.name).toBe(true);
    }
    expect(covered).toEqual(COVERABLE_KMS_IDS);
  });
});

describe('coveringHostKey', () => {
  it('picks the least inclusive configured key', () => {
    const configured = ['windows-server-2008-r2-c', 'windows-7-client-vl'];
    expect(coveringHostKey(configured, K.win7)?.id).toBe('windows-7-client-vl');
    expect(coveringHostKey(configured, K.vista)?.id).toBe('windows-7-client-vl');
    expect(coveringHostKey(configured, K.r2c)?.id).toBe('windows-server-2008-r2-c');
    expect(coveringHostKey(['windows-server-2019', 'windows-10-client', 'office-2019'], K.win10)?.id).toBe('windows-10-client');
    expect(coveringHostKey(DEFAULT_HOST_KEY_IDS, K.office2019)?.id).toBe('office-2019');
  });

  it('answers undefined when nothing covers it (→ 0xC004F042)', () => {
    expect(coveringHostKey(['windows-server-2008-r2-c'], K.ws2019)).toBeUndefined();
    expect(coveringHostKey(['windows-server-2008-r2-b'], K.r2c)).toBeUndefined();
    expect(coveringHostKey(DEFAULT_HOST_KEY_IDS, K.win10retail)).toBeUndefined();
    expect(coveringHostKey(DEFAULT_HOST_KEY_IDS, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(coveringHostKey(DEFAULT_HOST_KEY_IDS, 'not a guid')).toBeUndefined();
    expect(coveringHostKey([], K.win7)).toBeUndefined();
  });

  it('accepts any GUID spelling and CSVLK Activation IDs; ignores unknown key ids', () => {
    expect(coveringHostKey(['windows-7-client-vl'], `{${K.win7.toUpperCase()}}`)?.id).toBe('windows-7-client-vl');
    expect(coveringHostKey(['D188820A-CB63-4BAD-A9A2-40B843EE23B7'], K.win7)?.id).toBe('windows-7-client-vl');
    expect(coveringHostKey(['no-such-key', 'windows-7-client-vl'], K.win7)?.id).toBe('windows-7-client-vl');
    expect(unknownHostKeyIds(['no-such-key', 'windows-7-client-vl'])).toEqual(['no-such-key']);
    expect(coveredKmsIds(['no-such-key']).size).toBe(0);
  });
});
