// Curated layer over the verbatim KmsDataBase.xml extract: classification that drives the
// coverage rules (kind, group, generation), host key definitions and every correction, each
// with its source. catalog.ts combines this with the extract and Microsoft's GVLK tables.
import type { SourceId } from './sources.js';
import type { ApplicationKind, KeyGroup, KeyIdBlock, KmsChannel, ProductKind } from './types.js';

/** Corrected ePID ingredients for a CSVLK whose XML values are wrong. */
export interface KeyBlockOverride {
  readonly groupId?: number;
  readonly blocks: readonly KeyIdBlock[];
  readonly sources: readonly SourceId[];
  readonly note: string;
}

export const APP_WINDOWS = '55c92734-d682-4d71-983e-d6ec3f16059f';
export const APP_OFFICE_2010 = '59a52881-a989-479d-af46-f275c6370663';
export const APP_OFFICE = '0ff1ce15-a989-479d-af46-f275c6370663';

export const APPLICATION_META: Readonly<Record<string, { readonly name: string; readonly kind: ApplicationKind }>> = {
  [APP_WINDOWS]: { name: 'Windows', kind: 'windows' },
  [APP_OFFICE_2010]: { name: 'Office 2010', kind: 'office-2010' },
  [APP_OFFICE]: { name: 'Office 2013 and later', kind: 'office' },
};

/** Release generations; coverage compares these numbers within one family. */
export const GENERATION_LABELS = {
  windows: [
    'Windows Vista / Server 2008',
    'Windows 7 / Server 2008 R2',
    'Windows 8 / Server 2012',
    'Windows 8.1 / Server 2012 R2',
    'Windows 10 (2015, LTSB 2015) / Server 2012 R2 for Windows 10',
    'Windows 10 LTSB 2016 / Server 2016',
    'Windows 10 LTSC 2019 / Server 2019',
    'Windows 10 LTSC 2021 / Server 2022',
    'Windows 11 LTSC 2024 / Server 2025',
  ],
  office: ['Office 2010', 'Office 2013', 'Office 2016', 'Office 2019', 'Office LTSC 2021', 'Office LTSC 2024'],
} as const;

export interface KmsItemMeta {
  readonly name?: string;
  readonly aliases?: readonly string[];
  readonly kind: ProductKind;
  readonly group: KeyGroup;
  readonly generation: number;
  readonly channel?: KmsChannel;
  readonly unverified?: string;
}

const client = (generation: number, extra: Partial<KmsItemMeta> = {}): KmsItemMeta => ({ kind: 'client', group: 'client-vl', generation, ...extra });
const server = (group: KeyGroup, generation: number, extra: Partial<KmsItemMeta> = {}): KmsItemMeta => ({ kind: 'server', group, generation, ...extra });
const office = (generation: number, extra: Partial<KmsItemMeta> = {}): KmsItemMeta => ({ kind: 'office', group: 'office', generation, ...extra });

/** Classification of every KMS counted ID the catalog keeps (ids from KmsDataBase.xml unless added below). */
export const KMS_ITEM_META: Readonly<Record<string, KmsItemMeta>> = {
  '212a64dc-43b1-4d3d-a30c-2fc69d2095c6': client(1),
  '33e156e4-b76f-4a52-9f91-f641dd95ac48': server('server-a', 1, { aliases: ['Windows Server 2008 A (Web and HPC)'] }),
  '8fe53387-3087-4447-8985-f75132215ac9': server('server-b', 1),
  '8a21fdf3-cbc5-44eb-83f3-fe284e6680a7': server('server-c', 1, { aliases: ['Windows Server 2008 C (Datacenter)'] }),
  '7fde5219-fbfa-484a-82c9-34d1ad53e856': client(2),
  '0fc6ccaf-ff0e-4fae-9d08-4370785bf7ed': server('server-a', 2),
  'ca87f5b6-cd46-40c0-b06d-8ecd57a4373f': server('server-b', 2),
  'b2ca2689-a9a8-42d7-938d-cf8e9f201958': server('server-c', 2, { aliases: ['Windows Server 2008 R2 C (Datacenter)'] }),
  '3c40b358-5948-45af-923b-53d21fcc7e79': client(3),
  'bbb97b3b-8ca4-4a28-9717-89fabd42c4ac': client(3, { channel: 'retail' }),
  '8665cb71-468c-4aa3-a337-cb9bc9d5eaac': server('server', 3),
  'cb8fc780-2c05-495a-9710-85afffc904d7': client(4),
  '6d646890-3606-461a-86ab-598bb84ace82': client(4, { channel: 'retail' }),
  '8456efd3-0c04-4089-8740-5b7238535a65': server('server', 4),
  '58e2134f-8e11-4d17-9cb2-91069c151148': client(5, { aliases: ['Windows 10 2015 (Volume)', 'Windows 11 (Volume)'] }),
  'd27cd636-1962-44e9-8b4f-27b6c23efb85': client(5, {
    name: 'Windows 10 (Volume, unassigned)',
    unverified: 'No SKU is known to send it; generation from the Windows 10 2015 CSVLK, whose licence lists it (kmsrsos-pkeyconfig).',
  }),
  'e1c51358-fe3e-4203-a4a2-3b6b20c9734e': client(5, { channel: 'retail' }),
  '7ba0bf23-d0f5-4072-91d9-d55af5a481b6': client(5, {
    group: 'china-government',
    unverified: 'Coverage only by the Windows 10 China Government CSVLK (KmsDataBase.xml); it is absent from the Windows Server 2025 CSVLK counted-ID list (kmsrsos-pkeyconfig).',
  }),
  '969fe3c0-a3ec-491a-9f25-423605deb365': client(6, { aliases: ['Windows 10 LTSB 2016 (Volume)'] }),
  '6e9fc069-257d-4bc4-b4a7-750514d32743': server('server', 6),
  '11b15659-e603-4cf1-9c1f-f0ec01b81888': client(7, { aliases: ['Windows 10 LTSC 2019 (Volume)'] }),
  '8449b1fb-f0ea-497a-99ab-66ca96e9a0f5': server('server', 7),
  'cbdcb1ba-e093-4c81-a463-10775291fdf9': client(7, {
    name: 'Windows 10/11 Enterprise multi-session (ServerRdsh, Volume)',
    channel: 'azure-only',
    unverified: 'Only Azure-only and lab CSVLKs list it (KmsDataBase.xml, kmsrsos-pkeyconfig); N-policy 5 as in KmsDataBase.xml.',
  }),
  '3b576817-7b75-4362-9e13-223f2d9e9c97': client(8, {
    unverified: 'Counted ID named "Windows 10/11 2021 LTSC volume" by kmsrsos-pkeyconfig; that LTSC 2021 clients send it with the LTSC 2019 SKU ID is inferred.',
  }),
  'b74263e4-0f92-46c6-bcf8-c11d5efe2959': server('server', 8),
  'e85ee727-69c4-4528-99d2-216b0f065e38': client(9, {
    unverified: 'Counted ID named "Windows 10/11 2024 LTSC volume" by kmsrsos-pkeyconfig; that LTSC 2024 clients send it with the LTSC 2019 SKU ID is inferred.',
  }),
  '907f1f65-adcd-4a2e-95bc-4bf500bc6e58': server('server', 9),
  'e85af946-2e25-47b7-83e1-bebcebeac611': office(1),
  'e6a6f1bf-9d40-40c3-aa9f-c77ba21578c0': office(2),
  '85b5f61b-320b-4be3-814a-b76b2bfafc82': office(3),
  '617d9eb1-ef36-4f82-86e0-a65ae07b96c6': office(4, { aliases: ['Office 2019 (Volume)'] }),
  '86d50b16-4808-41af-b83b-b338274318b2': office(5, { name: 'Office LTSC 2021', aliases: ['Office 2021'] }),
  'a8973cb5-bf03-0a4c-9cef-703099645ab3': office(6, { name: 'Office LTSC 2024', aliases: ['Office 2024'] }),
};

/** KMS counted IDs Microsoft ships that KmsDataBase.xml lacks. */
export const ADDED_KMS_ITEMS: readonly {
  readonly id: string;
  readonly applicationId: string;
  readonly name: string;
  readonly nPolicy: number;
  readonly protocol: string;
  readonly sources: readonly SourceId[];
}[] = [
  { id: '3b576817-7b75-4362-9e13-223f2d9e9c97', applicationId: APP_WINDOWS, name: 'Windows 10/11 Enterprise LTSC 2021 (Volume)', nPolicy: 25, protocol: '6.0', sources: ['kmsrsos-pkeyconfig'] },
  { id: 'e85ee727-69c4-4528-99d2-216b0f065e38', applicationId: APP_WINDOWS, name: 'Windows 11 Enterprise LTSC 2024 (Volume)', nPolicy: 25, protocol: '6.0', sources: ['kmsrsos-pkeyconfig'] },
];

/**
 * KMS counted IDs in KmsDataBase.xml that are not Microsoft's: both are well-formed UUIDv5
 * values that appear in no Microsoft artifact (kmsrsos-pkeyconfig, DB-008). The XML item's
 * name, N-policy and protocol are kept; its id and every SKU pointing at it move.
 */
export const KMS_ID_REPLACEMENTS: readonly { readonly xmlId: string; readonly id: string; readonly sources: readonly SourceId[]; readonly note: string }[] = [
  {
    xmlId: '4b83307d-7788-50ff-8d1f-1861915bdb9d',
    id: '907f1f65-adcd-4a2e-95bc-4bf500bc6e58',
    sources: ['kmsrsos-pkeyconfig'],
    note: 'Windows Server 2025: Security-SPP-KmsCountedIdList of the WS2025 CSVLK licence lists 907f1f65-…; the XML value is a fabricated UUIDv5.',
  },
  {
    xmlId: '1b4db7eb-4057-5ddf-91e0-36dec72071f5',
    id: 'a8973cb5-bf03-0a4c-9cef-703099645ab3',
    sources: ['kmsrsos-pkeyconfig'],
    note: 'Office LTSC 2024: the Office LTSC 2024 KMS host licence lists a8973cb5-… (version nibble 0 — do not validate it); the XML value is a fabricated UUIDv5.',
  },
];

/** XML KMS items left out, with the reason. */
export const EXCLUDED_KMS_ITEMS: Readonly<Record<string, string>> = {
  '6d5f5270-31ac-433e-b90a-39892923c657': 'Windows Server Next (Preview): pre-release product, no customer CSVLK activates it.',
  'aa4c7968-b9da-4680-92b6-acb25e2f866c': 'Office 2013 (Pre-release): pre-release product, its CSVLK row in the XML is empty.',
};

/** GVLKs that Microsoft's table contradicts (Microsoft wins, kms-facts §9). */
export const GVLK_CORRECTIONS: readonly { readonly skuId: string; readonly gvlk: string; readonly sources: readonly SourceId[]; readonly note: string }[] = [
  {
    skuId: 'c2e946d1-cfa2-4523-8c87-30bc696ee584',
    gvlk: 'XGN3F-F394H-FD2MY-PP6FD-8MCRC',
    sources: ['ms-windows-gvlks'],
    note: 'Windows Server 2025 Datacenter: Azure Edition. Also reported by schlarpc/kmsrsos#133.',
  },
];

/** Microsoft table rows with no SKU in the catalog (their Activation IDs are in no source we have). */
export const MICROSOFT_ROWS_WITHOUT_SKU: Readonly<Record<string, string>> = {
  'DPCNP-XQFKJ-BJF7R-FRC8D-GF6G4': 'Windows Server, version 1709 Standard: Activation ID unknown (not in KmsDataBase.xml).',
  '6Y6KB-N82V8-D8CQV-23MJW-BWTG6': 'Windows Server, version 1709 Datacenter: Activation ID unknown (not in KmsDataBase.xml).',
};

/**
 * One SKU (same Activation ID and GVLK) serves several LTSC releases, each of which sends
 * its own KMS counted ID. UNVERIFIED mapping, see KMS_ITEM_META for 3b576817 / e85ee727.
 */
export const RELEASE_ALIASES: Readonly<Record<string, readonly { readonly name: string; readonly kmsItemId: string }[]>> = {
  '32d2fab3-e4a8-42c2-923b-4bf4fd13e6ee': [
    { name: 'Windows 10 Enterprise LTSC 2021', kmsItemId: '3b576817-7b75-4362-9e13-223f2d9e9c97' },
    { name: 'Windows 11 Enterprise LTSC 2024', kmsItemId: 'e85ee727-69c4-4528-99d2-216b0f065e38' },
  ],
  '7103a333-b8c8-49cc-93ce-d37c09687f92': [
    { name: 'Windows 10 Enterprise N LTSC 2021', kmsItemId: '3b576817-7b75-4362-9e13-223f2d9e9c97' },
    { name: 'Windows 11 Enterprise N LTSC 2024', kmsItemId: 'e85ee727-69c4-4528-99d2-216b0f065e38' },
  ],
};

export interface HostKeyDef {
  readonly id: string;
  readonly csvlkId: string;
  readonly name: string;
  readonly application: string;
  readonly group: KeyGroup;
  readonly groupLabel: string;
  readonly generation: number;
  readonly defaultHostBuild: number;
  readonly releaseDate?: string;
  readonly epidOverride?: KeyBlockOverride;
  readonly sources: readonly SourceId[];
  readonly unverified?: string;
}

const VISTA_7_GROUPS: readonly SourceId[] = ['kmsdatabase-xml', 'ms-product-key-groups', 'catalog-rule'];
const PER_RELEASE: readonly SourceId[] = ['kmsdatabase-xml', 'ms-activation-planning', 'catalog-rule'];
const OFFICE: readonly SourceId[] = ['kmsdatabase-xml', 'ms-office-kms-host', 'catalog-rule'];

/**
 * CSVLK products an operator can configure. Lab ("Microsoft Internal Lab"), Azure-only and
 * pre-release CSVLKs of the XML are left out: customers cannot obtain them, and Microsoft
 * says Datacenter: Azure Edition "can't be configured as a KMS host" (ms-activation-planning).
 */
export const HOST_KEY_DEFS: readonly HostKeyDef[] = [
  {
    id: 'windows-vista-client-vl', csvlkId: '4871de8b-3adf-4455-a7d3-fd7b6c01c939', name: 'Windows Vista (Client VL)', application: APP_WINDOWS,
    group: 'client-vl', groupLabel: 'Client VL', generation: 1, defaultHostBuild: 6002, sources: VISTA_7_GROUPS,
    unverified: 'The XML has two Vista CSVLKs ("1 of 2", group 142, whose Id equals the Vista KMS ID; "2 of 2", group 154); this one is used for the ePID.',
  },
  { id: 'windows-server-2008-a', csvlkId: 'c448fa06-49d1-44ec-82bb-0085545c3b51', name: 'Windows Server 2008 Group A (Web, HPC)', application: APP_WINDOWS, group: 'server-a', groupLabel: 'Server Group A', generation: 1, defaultHostBuild: 6002, sources: VISTA_7_GROUPS },
  { id: 'windows-server-2008-b', csvlkId: '56df4151-1f9f-41bf-acaa-2941c071872b', name: 'Windows Server 2008 Group B (Standard, Enterprise)', application: APP_WINDOWS, group: 'server-b', groupLabel: 'Server Group B', generation: 1, defaultHostBuild: 6002, sources: VISTA_7_GROUPS },
  { id: 'windows-server-2008-c', csvlkId: 'c90d1b4e-8aa8-439e-8b9e-b6d6b6a6d975', name: 'Windows Server 2008 Group C (Datacenter, Itanium)', application: APP_WINDOWS, group: 'server-c', groupLabel: 'Server Group C', generation: 1, defaultHostBuild: 6002, sources: VISTA_7_GROUPS },
  { id: 'windows-7-client-vl', csvlkId: 'd188820a-cb63-4bad-a9a2-40b843ee23b7', name: 'Windows 7 (Client VL)', application: APP_WINDOWS, group: 'client-vl', groupLabel: 'Client VL', generation: 2, defaultHostBuild: 7601, sources: VISTA_7_GROUPS },
  { id: 'windows-server-2008-r2-a', csvlkId: 'f73d1bcd-0802-47dd-b2d9-81bf2f8c0744', name: 'Windows Server 2008 R2 Group A (Web, HPC)', application: APP_WINDOWS, group: 'server-a', groupLabel: 'Server Group A', generation: 2, defaultHostBuild: 7601, sources: VISTA_7_GROUPS },
  { id: 'windows-server-2008-r2-b', csvlkId: 'c99b641f-c4ea-4e63-bec3-5ed2ccd0f357', name: 'Windows Server 2008 R2 Group B (Standard, Enterprise)', application: APP_WINDOWS, group: 'server-b', groupLabel: 'Server Group B', generation: 2, defaultHostBuild: 7601, sources: VISTA_7_GROUPS },
  { id: 'windows-server-2008-r2-c', csvlkId: '8fe15d04-fc66-40e6-bf34-942481e06fd8', name: 'Windows Server 2008 R2 Group C (Datacenter, Itanium)', application: APP_WINDOWS, group: 'server-c', groupLabel: 'Server Group C', generation: 2, defaultHostBuild: 7601, sources: VISTA_7_GROUPS },
  {
    id: 'windows-8-client', csvlkId: '24259a22-3bf0-44af-a68b-1b858bce1894', name: 'Windows 8 (client)', application: APP_WINDOWS,
    group: 'client-vl', groupLabel: 'Volume License for Windows 8', generation: 3, defaultHostBuild: 9200, sources: ['kmsdatabase-xml', 'catalog-rule'],
    unverified: 'Coverage of Windows 7 and Vista follows the rule; Microsoft publishes no table for the Windows 8 client CSVLK.',
  },
  { id: 'windows-server-2012', csvlkId: '7b37c913-252b-46be-ad80-b2b5ceade8af', name: 'Windows Server 2012', application: APP_WINDOWS, group: 'server', groupLabel: 'Volume License for Windows Server 2012', generation: 3, defaultHostBuild: 9200, releaseDate: '2012-10-26', sources: ['kmsdatabase-xml', 'catalog-rule'] },
  {
    id: 'windows-8-1-client', csvlkId: '29d0b60f-66da-4858-bcaf-9eb513cd310d', name: 'Windows 8.1 (client)', application: APP_WINDOWS,
    group: 'client-vl', groupLabel: 'Volume License for Windows 8.1', generation: 4, defaultHostBuild: 9600, sources: ['kmsdatabase-xml', 'catalog-rule'],
    unverified: 'Coverage of Windows 8, 7 and Vista follows the rule; Microsoft publishes no table for the Windows 8.1 client CSVLK.',
  },
  { id: 'windows-server-2012-r2', csvlkId: 'dcb88f6f-b090-405b-850e-dabcccf3693f', name: 'Windows Server 2012 R2', application: APP_WINDOWS, group: 'server', groupLabel: 'Volume License for Windows Server 2012 R2', generation: 4, defaultHostBuild: 9600, sources: ['kmsdatabase-xml', 'catalog-rule'] },
  {
    id: 'windows-server-2012-r2-win10', csvlkId: '20e938bb-df44-45ee-bde1-4e4fe7477f37', name: 'Windows Server 2012 R2 for Windows 10', application: APP_WINDOWS,
    group: 'server', groupLabel: 'Volume License for Windows Server 2012 R2 (Windows 10 update)', generation: 5, defaultHostBuild: 9600, sources: ['kmsdatabase-xml', 'catalog-rule'],
    unverified: 'Placed in the Windows 10 (2015) generation because it was issued to activate Windows 10 (XML ReleaseDate 2015-07-29); no Microsoft coverage table.',
  },
  { id: 'windows-10-client', csvlkId: '0724cb7d-3437-4cb7-93cb-830375d0079d', name: 'Windows 10 (client, 2015)', application: APP_WINDOWS, group: 'client-vl', groupLabel: 'Volume license for Windows 10', generation: 5, defaultHostBuild: 14393, sources: [...PER_RELEASE, 'kmsrsos-pkeyconfig'] },
  { id: 'windows-10-2016-client', csvlkId: '30a42c86-b7a0-4a34-8c90-ff177cb2acb7', name: 'Windows 10 (client, 2016)', application: APP_WINDOWS, group: 'client-vl', groupLabel: 'Volume license for Windows 10 (2016)', generation: 6, defaultHostBuild: 14393, sources: ['kmsdatabase-xml', 'kmsrsos-pkeyconfig', 'catalog-rule'] },
  { id: 'windows-10-2019-client', csvlkId: '90da7373-1c51-430b-bf26-c97e9c5cdc31', name: 'Windows 10 (client, 2019)', application: APP_WINDOWS, group: 'client-vl', groupLabel: 'Volume license for Windows 10 (2019)', generation: 7, defaultHostBuild: 17763, sources: ['kmsdatabase-xml', 'kmsrsos-pkeyconfig', 'catalog-rule'] },
  {
    id: 'windows-10-china-government', csvlkId: 'ecc0774a-aed3-4e1a-b815-2b31781adfea', name: 'Windows 10 China Government', application: APP_WINDOWS,
    group: 'china-government', groupLabel: 'Windows 10 China Government', generation: 5, defaultHostBuild: 17763, sources: ['kmsdatabase-xml', 'catalog-rule'],
    unverified: 'Covers only Enterprise G / G N (the XML Activate list); whether it also activates other client editions is not known.',
  },
  { id: 'windows-server-2016', csvlkId: 'd6992aac-29e7-452a-bf10-bbfb8ccabe59', name: 'Windows Server 2016', application: APP_WINDOWS, group: 'server', groupLabel: 'Volume License for Windows Server 2016', generation: 6, defaultHostBuild: 14393, sources: PER_RELEASE },
  { id: 'windows-server-2019', csvlkId: '2e7a9ad1-a849-4b56-babe-17d5a29fe4b4', name: 'Windows Server 2019', application: APP_WINDOWS, group: 'server', groupLabel: 'Volume License for Windows Server 2019', generation: 7, defaultHostBuild: 17763, sources: PER_RELEASE },
  {
    id: 'windows-server-2022', csvlkId: '661f7658-7035-4b4c-9f35-010682943ec2', name: 'Windows Server 2022', application: APP_WINDOWS,
    group: 'server', groupLabel: 'Volume License for Windows Server 2022', generation: 8, defaultHostBuild: 20348,
    epidOverride: { blocks: [{ start: 0, end: 19999 }, { start: 30000, end: 20029999 }], sources: ['kmsrsos-pkeyconfig'], note: 'pkeyconfig has two valid blocks with a hole at 20000–29999; the XML min/max spans the hole.' },
    sources: [...PER_RELEASE, 'kmsrsos-pkeyconfig'],
  },
  {
    id: 'windows-server-2025', csvlkId: '84e331f6-4279-48c4-ab10-b75139181351', name: 'Windows Server 2025', application: APP_WINDOWS,
    group: 'server', groupLabel: 'Volume License for Windows Server 2025', generation: 9, defaultHostBuild: 26100,
    epidOverride: { groupId: 4919, blocks: [{ start: 0, end: 19999 }, { start: 20000, end: 20019999 }], sources: ['kmsrsos-pkeyconfig'], note: 'The XML swaps the group ids of the standard (4919) and Azure-only (4918) CSVLKs and copies Server 2022\'s key range.' },
    sources: [...PER_RELEASE, 'kmsrsos-pkeyconfig'],
  },
  { id: 'office-2010', csvlkId: 'bfe7a195-4f8f-4f0b-a622-cf13c7d16864', name: 'Office 2010', application: APP_OFFICE_2010, group: 'office', groupLabel: 'Office 2010 KMS host', generation: 1, defaultHostBuild: 7601, sources: OFFICE },
  { id: 'office-2013', csvlkId: '2e28138a-847f-42bc-9752-61b03fff33cd', name: 'Office 2013', application: APP_OFFICE, group: 'office', groupLabel: 'Office 2013 KMS host', generation: 2, defaultHostBuild: 9600, sources: OFFICE },
  { id: 'office-2016', csvlkId: '98ebfe73-2084-4c97-932c-c0cd1643bea7', name: 'Office 2016', application: APP_OFFICE, group: 'office', groupLabel: 'Office 2016 KMS host', generation: 3, defaultHostBuild: 14393, sources: OFFICE },
  { id: 'office-2019', csvlkId: '70512334-47b4-44db-a233-be5ea33b914c', name: 'Office 2019', application: APP_OFFICE, group: 'office', groupLabel: 'Office 2019 KMS host', generation: 4, defaultHostBuild: 17763, sources: OFFICE },
  { id: 'office-2021', csvlkId: '47f3b983-7c53-4d45-abc6-bcd91e2dd90a', name: 'Office LTSC 2021', application: APP_OFFICE, group: 'office', groupLabel: 'Office LTSC 2021 KMS host', generation: 5, defaultHostBuild: 20348, sources: OFFICE },
  {
    id: 'office-2024', csvlkId: 'f3d89bbf-c0ec-47ce-a8fa-e5a5f97e447f', name: 'Office LTSC 2024', application: APP_OFFICE, group: 'office', groupLabel: 'Office LTSC 2024 KMS host',
    generation: 6, defaultHostBuild: 26100, releaseDate: '2024-09-16',
    epidOverride: { blocks: [{ start: 591000000, end: 610999999 }], sources: ['kmsrsos-pkeyconfig'], note: 'The XML copies Office 2019\'s key range (666000000–685999999).' },
    sources: [...OFFICE, 'kmsrsos-pkeyconfig'],
  },
];
