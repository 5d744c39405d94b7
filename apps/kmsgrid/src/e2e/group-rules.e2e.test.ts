// The seed's group rules over TCP: which host keys cover which products
// (kms-facts section 3), and separate counters per application.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKUS, findHostKey, findKmsItem, type HostKey, type Sku } from '@kmsgrid/kms-catalog';
import { postgresStorage, type HostStorage, type TestHost } from './testing/hosts.js';
import { ask, askAll, describeAnswers, machines, machinesForSkus } from './testing/machines.js';

const KEY_MISMATCH = 0xc004f042; // SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH
const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE_APP_ID = '0ff1ce15-a989-479d-af46-f275c6370663';

/** The KMS items of the Windows 7 / Server 2008 R2 family (the seed's Table 2). */
const FAMILY_2008_R2 = {
  web: '0fc6ccaf-ff0e-4fae-9d08-4370785bf7ed', // 2008 R2 A (Web and HPC)
  standard: 'ca87f5b6-cd46-40c0-b06d-8ecd57a4373f', // 2008 R2 B (Standard and Enterprise)
  datacenter: 'b2ca2689-a9a8-42d7-938d-cf8e9f201958', // 2008 R2 C (Datacenter and Itanium)
  windows7: '7fde5219-fbfa-484a-82c9-34d1ad53e856',
} as const;

const nPolicyOf = (sku: Sku): number => findKmsItem(sku.kmsItemId)?.nPolicy ?? 25;
const skusOf = (kmsItemIds: readonly string[]): Sku[] => SKUS.filter((s) => kmsItemIds.includes(s.kmsItemId) && !s.preview);
const hostKey = (id: string): HostKey => {
  const k = findHostKey(id);
  if (k === undefined) throw new Error(`no host key ${id}`);
  return k;
};

/** One host per key configuration, started once for its describe block. */
function hostWith(hostKeys: string): { get(): TestHost } {
  let storage: HostStorage | undefined;
  let host: TestHost | undefined;
  beforeAll(async () => {
    storage = postgresStorage('groups');
    host = await storage.start({ KMSGRID_HOST_KEYS: hostKeys });
  });
  afterAll(async () => {
    await storage?.dispose();
  });
  return {
    get: () => {
      if (host === undefined) throw new Error('host not started');
      return host;
    },
  };
}

describe('a host with only a Windows Vista host key (KMSGRID_HOST_KEYS=windows-vista-client-vl)', () => {
  const h = hostWith('windows-vista-client-vl');

  it('refuses Windows 7 with 0xC004F042 and activates Windows Vista Business', async () => {
    const [win7] = machines('Windows 7 Professional', 1, 'win7');
    const [vista] = machines('Windows Vista Business', 1, 'vista');
    const refused = await ask(h.get().target, win7!);
    expect(refused, describeAnswers([refused])).toMatchObject({ status: 'hresult', hresult: KEY_MISMATCH });
    const activated = await ask(h.get().target, vista!);
    // The refused Windows 7 machine is recorded but not counted.
    expect(activated, describeAnswers([activated])).toMatchObject({ status: 'activated', count: 1 });
    const clients = await h.get().host.ledger.listClients({});
    expect(clients.clients.map((c) => [c.workstationName, c.lastOutcome, c.lastHresult]).sort()).toEqual([
      ['vista-1.e2e.test', 'counted', 0],
      ['win7-1.e2e.test', 'refused', KEY_MISMATCH],
    ]);
  }, 60_000);
});

describe('a host with a Windows Server 2008 R2 group C key', () => {
  const h = hostWith('windows-server-2008-r2-c');

  it('covers the whole Windows 7 / Server 2008 R2 family (Web, HPC, Standard, Enterprise, Datacenter, Itanium, Windows 7)', async () => {
    expect(hostKey('windows-server-2008-r2-c').covers).toEqual(expect.arrayContaining(Object.values(FAMILY_2008_R2)));
    const skus = skusOf(Object.values(FAMILY_2008_R2));
    const names = skus.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Windows Server 2008 R2 Web',
        'Windows Server 2008 R2 HPC edition',
        'Windows Server 2008 R2 Standard',
        'Windows Server 2008 R2 Enterprise',
        'Windows Server 2008 R2 Datacenter',
        'Windows Server 2008 R2 for Itanium-based Systems',
        'Windows 7 Professional',
        'Windows 7 Enterprise',
      ]),
    );
    const answers = await askAll(h.get().target, machinesForSkus(skus, 'r2c', nPolicyOf), { concurrency: 4 });
    expect(answers.filter((a) => a.status !== 'activated'), describeAnswers(answers)).toEqual([]);
    // One ePID for all: the group C key's.
    expect(new Set(answers.map((a) => a.outcome?.response?.epid)).size).toBe(1);
    expect(Math.max(...answers.map((a) => a.count ?? 0))).toBe(skus.length);
  }, 60_000);

  it('also covers the lower generation (Vista, Server 2008 A/B/C), as group C keys do', async () => {
    const older = hostKey('windows-server-2008-r2-c').covers.filter((id) => !(Object.values(FAMILY_2008_R2) as string[]).includes(id));
    expect(older.map((id) => findKmsItem(id)?.name).sort()).toEqual([
      'Windows Server 2008 A (Web and HPC)',
      'Windows Server 2008 B (Standard and Enterprise)',
      'Windows Server 2008 C (Datacenter and Itanium)',
      'Windows Vista',
    ]);
    const answers = await askAll(h.get().target, machinesForSkus(skusOf(older), 'r2c-old', nPolicyOf), { concurrency: 4 });
    expect(answers.filter((a) => a.status !== 'activated'), describeAnswers(answers)).toEqual([]);
  }, 60_000);
});

describe('a host with a Windows Server 2008 R2 group B key', () => {
  const h = hostWith('windows-server-2008-r2-b');

  it('refuses Datacenter and Itanium with 0xC004F042', async () => {
    const answers = await askAll(h.get().target, machinesForSkus(skusOf([FAMILY_2008_R2.datacenter]), 'r2b-dc', nPolicyOf));
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.map((a) => [a.machine.product, a.status, a.hresult])).toEqual(answers.map((a) => [a.machine.product, 'hresult', KEY_MISMATCH]));
  }, 60_000);

  it('activates Web, HPC, Standard, Enterprise and Windows 7', async () => {
    const skus = skusOf([FAMILY_2008_R2.web, FAMILY_2008_R2.standard, FAMILY_2008_R2.windows7]);
    const answers = await askAll(h.get().target, machinesForSkus(skus, 'r2b', nPolicyOf), { concurrency: 4 });
    expect(answers.filter((a) => a.status !== 'activated'), describeAnswers(answers)).toEqual([]);
  }, 60_000);
});

describe('Office and Windows', () => {
  describe('a host with Windows host keys only', () => {
    const h = hostWith('windows-server-2008-r2-c');
    it('refuses Office with 0xC004F042: Office needs an Office host key', async () => {
      const answers = await askAll(h.get().target, [
        ...machines('Office Professional Plus 2016', 1, 'office16'),
        ...machines('Office Professional Plus 2010', 1, 'office10'),
      ]);
      expect(answers.map((a) => [a.status, a.hresult]), describeAnswers(answers)).toEqual([
        ['hresult', KEY_MISMATCH],
        ['hresult', KEY_MISMATCH],
      ]);
    }, 60_000);
  });

  describe('a host with a Windows key and an Office 2016 key', () => {
    const h = hostWith('windows-server-2008-r2-c,office-2016');

    it('counts Office apart from Windows', async () => {
      const target = h.get().target;
      const windows = machines('Windows 7 Enterprise', 6, 'win');
      const office = machines('Office Professional Plus 2016', 3, 'office');
      // Windows first: the Office counter does not see them.
      const w1 = await askAll(target, windows.slice(0, 4), { concurrency: 1 });
      const o = await askAll(target, office, { concurrency: 1 });
      const w2 = await askAll(target, windows.slice(4), { concurrency: 1 });
      expect(w1.map((a) => a.count), describeAnswers(w1)).toEqual([1, 2, 3, 4]);
      expect(o.map((a) => a.count), describeAnswers(o)).toEqual([1, 2, 3]);
      expect(w2.map((a) => a.count), describeAnswers(w2)).toEqual([5, 6]);
      // A host key of another Office release does not cover Office 2019.
      const [office19] = machines('Office Professional Plus 2019', 1, 'office19');
      expect(await ask(target, office19!)).toMatchObject({ status: 'hresult', hresult: KEY_MISMATCH });

      const apps = (await h.get().host.ledger.status()).applications;
      expect(apps.find((a) => a.applicationId === WINDOWS_APP_ID)).toMatchObject({ activeClients: 6, reportedCount: 6 });
      expect(apps.find((a) => a.applicationId === OFFICE_APP_ID)).toMatchObject({ activeClients: 3, reportedCount: 3 });
    }, 60_000);
  });
});
