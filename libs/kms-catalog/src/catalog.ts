// Assembles the catalog tables from the verbatim KmsDataBase.xml extract, Microsoft's GVLK
// tables and the curated overlay. Runs once at module load; pure (no I/O).
import {
  ADDED_KMS_ITEMS,
  APPLICATION_META,
  EXCLUDED_KMS_ITEMS,
  GENERATION_LABELS,
  GVLK_CORRECTIONS,
  HOST_KEY_DEFS,
  KMS_ID_REPLACEMENTS,
  KMS_ITEM_META,
  MICROSOFT_ROWS_WITHOUT_SKU,
  RELEASE_ALIASES,
} from './catalog-overlay.js';
import { XML_APPS, XML_CSVLKS, XML_KMS_ITEMS, XML_SKUS, XML_WIN_BUILDS } from './raw/kmsdb-extract.generated.js';
import { MICROSOFT_GVLKS, type MicrosoftGvlkRow } from './raw/microsoft-gvlks.js';
import { g, type CatalogGuid } from './guid.js';
import { hostKeyCoversItem } from './rules.js';
import type { SourceId } from './sources.js';
import type {
  Application,
  ApplicationKind,
  CatalogCorrection,
  HostBuild,
  HostKey,
  KmsItem,
  KmsProtocolMajor,
  ReleaseAlias,
  Sku,
} from './types.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const uniq = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const fail = (msg: string): never => {
  throw new Error(`kms-catalog data: ${msg}`);
};

const corrections: CatalogCorrection[] = [];

// --- Applications -------------------------------------------------------------------------

export const APPLICATIONS: readonly Application[] = deepFreeze(
  XML_APPS.map((a): Application => {
    const meta = APPLICATION_META[a.id] ?? fail(`no application meta for ${a.id}`);
    return { id: g(a.id), name: meta.name, kind: meta.kind, minActiveClients: a.minActiveClients ?? 0, sources: ['kmsdatabase-xml'] };
  }),
);

// --- KMS items ----------------------------------------------------------------------------

const replacementOf = new Map(KMS_ID_REPLACEMENTS.map((r) => [r.xmlId, r]));
const kmsIdFor = (xmlId: string): string => replacementOf.get(xmlId)?.id ?? xmlId;

function protocolMajor(version: string): KmsProtocolMajor {
  const major = Number.parseInt(version, 10);
  return major === 4 || major === 5 || major === 6 ? major : fail(`bad protocol version ${version}`);
}

function kmsItem(id: string, applicationId: string, xmlName: string, nPolicy: number, protocol: string, retail: boolean, sources: readonly SourceId[]): KmsItem {
  const meta = KMS_ITEM_META[id] ?? fail(`KMS item ${id} (${xmlName}) is not classified in KMS_ITEM_META`);
  const name = meta.name ?? xmlName;
  return {
    id: g(id),
    applicationId: g(applicationId),
    name,
    aliases: uniq([...(meta.aliases ?? []), ...(name === xmlName ? [] : [xmlName])]),
    kind: meta.kind,
    group: meta.group,
    generation: meta.generation,
    channel: meta.channel ?? (retail ? 'retail' : 'volume'),
    nPolicy,
    defaultProtocol: protocolMajor(protocol),
    sources: uniq([...sources, 'catalog-rule']),
    ...(meta.unverified === undefined ? {} : { unverified: meta.unverified }),
  };
}

const kmsItems: KmsItem[] = [];
for (const x of XML_KMS_ITEMS) {
  const excluded = EXCLUDED_KMS_ITEMS[x.id];
  if (excluded !== undefined) {
    corrections.push({ subject: `KMS item ${x.name} (${x.id})`, field: 'included', xmlValue: 'yes', catalogValue: 'no', sources: ['catalog-rule'], note: excluded });
    continue;
  }
  const replacement = replacementOf.get(x.id);
  if (replacement !== undefined) {
    corrections.push({ subject: `KMS item ${x.name}`, field: 'id (KMS counted ID)', xmlValue: x.id, catalogValue: replacement.id, sources: replacement.sources, note: replacement.note });
  }
  kmsItems.push(kmsItem(kmsIdFor(x.id), x.applicationId, x.name, x.nCountPolicy, x.defaultProtocol, x.isRetail, ['kmsdatabase-xml', ...(replacement?.sources ?? [])]));
}
for (const a of ADDED_KMS_ITEMS) {
  corrections.push({ subject: `KMS item ${a.name}`, field: 'included', xmlValue: 'missing', catalogValue: a.id, sources: a.sources, note: 'Counted ID listed by Microsoft CSVLK licences but absent from KmsDataBase.xml.' });
  kmsItems.push(kmsItem(a.id, a.applicationId, a.name, a.nPolicy, a.protocol, false, a.sources));
}
for (const id of Object.keys(KMS_ITEM_META)) {
  if (!kmsItems.some((k) => k.id === id)) fail(`KMS_ITEM_META classifies ${id}, which is not in the catalog`);
}

export const KMS_ITEMS: readonly KmsItem[] = deepFreeze(kmsItems);
const kmsById = new Map<string, KmsItem>(KMS_ITEMS.map((k) => [k.id, k]));

// --- SKUs ---------------------------------------------------------------------------------

const OFFICE_APPS = 'Access|Excel|InfoPath|Lync|OneNote|Outlook|PowerPoint|Project|Publisher|Skype for Business|Visio|Word|Groove';

/** Microsoft's naming for Office SKUs the Microsoft tables do not list ("Office Project Pro 2013" → "Project Professional 2013"). */
function officeName(xmlName: string): string {
  return xmlName
    .replace(/\bOutLook\b/, 'Outlook')
    .replace(/\bPowerpoint\b/, 'PowerPoint')
    .replace(new RegExp(`^Office (${OFFICE_APPS})\\b`), '$1')
    .replace(/^(Project|Visio)( LTSC)? Pro\b/, '$1$2 Professional');
}

/** Lookup variants: ProPlus / Pro / Professional spellings (vlmcs and Microsoft differ), "Office " prefix, Office without "LTSC", Windows 10/11. */
function nameVariants(name: string): string[] {
  const out: string[] = [];
  const office = new RegExp(`^(Office |${OFFICE_APPS}\\b)`).test(name);
  const bases = uniq([
    name,
    ...(office ? [name.replace(/ LTSC\b/, '')] : []),
    ...(name.includes('Windows 10/11 ') ? [name.replace('Windows 10/11 ', 'Windows 10 '), name.replace('Windows 10/11 ', 'Windows 11 ')] : []),
  ]);
  for (const b of bases) {
    out.push(b);
    if (b.includes('Professional Plus')) out.push(b.replace('Professional Plus', 'ProPlus'));
    else if (/\bProfessional\b/.test(b)) out.push(b.replace(/\bProfessional\b/, 'Pro'));
    else if (/\bPro\b/.test(b)) out.push(b.replace(/\bPro\b/, 'Professional'));
    if (new RegExp(`^(${OFFICE_APPS})\\b`).test(b)) out.push(`Office ${b}`);
  }
  return out;
}

const msByGvlk = new Map<string, MicrosoftGvlkRow>(MICROSOFT_GVLKS.map((r) => [r.gvlk, r]));
const msRowsUsed = new Set<string>();
const appKind = (applicationId: string): ApplicationKind => APPLICATION_META[applicationId]?.kind ?? fail(`unknown application ${applicationId}`);

const skus: Sku[] = [];
for (const x of XML_SKUS) {
  if (EXCLUDED_KMS_ITEMS[x.kmsItemId] !== undefined) continue;
  const kms = kmsById.get(kmsIdFor(x.kmsItemId)) ?? fail(`SKU ${x.id} points at unknown KMS item ${x.kmsItemId}`);
  const sources: SourceId[] = ['kmsdatabase-xml'];
  let gvlk = x.gvlk;
  if (x.isGeneratedGvlk && gvlk !== undefined) {
    corrections.push({ subject: `SKU ${x.name} (${x.id})`, field: 'gvlk', xmlValue: gvlk, catalogValue: '(none)', sources: ['kmsdatabase-xml'], note: 'Marked IsGeneratedGvlk in the XML: made up by its authors, not a Microsoft key.' });
    gvlk = undefined;
  }
  const fix = GVLK_CORRECTIONS.find((c) => c.skuId === x.id);
  if (fix !== undefined) {
    corrections.push({ subject: `SKU ${x.name} (${x.id})`, field: 'gvlk', xmlValue: gvlk ?? '(none)', catalogValue: fix.gvlk, sources: fix.sources, note: fix.note });
    gvlk = fix.gvlk;
    sources.push(...fix.sources);
  }
  const ms = gvlk === undefined ? undefined : msByGvlk.get(gvlk);
  if (ms !== undefined) {
    if (msRowsUsed.has(ms.gvlk)) fail(`two SKUs carry Microsoft's GVLK ${ms.gvlk}`);
    msRowsUsed.add(ms.gvlk);
    sources.push(ms.source);
  }
  const releaseAliases: ReleaseAlias[] = (RELEASE_ALIASES[x.id] ?? []).map((r) => {
    if (!kmsById.has(r.kmsItemId)) fail(`release alias ${r.name} points at unknown KMS item`);
    return { name: r.name, kmsItemId: g(r.kmsItemId) };
  });
  const releaseNames = new Set(releaseAliases.map((r) => r.name));
  const msNames = (ms?.names ?? []).filter((n) => !releaseNames.has(n));
  const cleaned = appKind(kms.applicationId) === 'windows' ? x.name : officeName(x.name);
  const name = msNames[0] ?? cleaned;
  const aliases = uniq([...msNames, cleaned, x.name].flatMap(nameVariants)).filter((a) => a !== name && !releaseNames.has(a));
  skus.push({
    id: g(x.id),
    name,
    aliases,
    releaseAliases,
    gvlk,
    gvlkSource: ms?.source ?? (gvlk === undefined ? undefined : fix?.sources[0] ?? 'kmsdatabase-xml'),
    kmsItemId: kms.id,
    applicationId: kms.applicationId,
    preview: /preview|pre-release|\[beta\]/i.test(x.name),
    sources: uniq(sources),
  });
}
for (const r of MICROSOFT_GVLKS) {
  if (!msRowsUsed.has(r.gvlk) && MICROSOFT_ROWS_WITHOUT_SKU[r.gvlk] === undefined) fail(`Microsoft row ${r.names[0]} (${r.gvlk}) matches no SKU`);
}

export const SKUS: readonly Sku[] = deepFreeze(skus);

// --- Host builds --------------------------------------------------------------------------

export const HOST_BUILDS: readonly HostBuild[] = deepFreeze(
  XML_WIN_BUILDS.map((b): HostBuild => ({
    build: b.build,
    name: b.name,
    platformId: b.platformId,
    releaseDate: b.releaseDate,
    useForEpid: b.useForEpid,
    mayBeServer: b.mayBeServer,
    usesNdr64: b.usesNdr64,
    sources: ['kmsdatabase-xml'],
  })),
);

// --- Host keys ----------------------------------------------------------------------------

corrections.push({
  subject: 'CsvlkItem Activate lists',
  field: 'covered KMS IDs',
  xmlValue: 'server CSVLKs list only their own KMS ID',
  catalogValue: 'generated by the coverage rule (group + generation)',
  sources: ['ms-activation-planning', 'ms-product-key-groups', 'kmsrsos-pkeyconfig', 'catalog-rule'],
  note: 'kms-facts §9. The rule reproduces the counted-ID lists of the Windows 10 2015/2016/2019 and Windows Server 2025 CSVLK licences (unit tests).',
});
corrections.push({
  subject: 'CSVLK Windows 10 2016 (30a42c86-…)',
  field: 'covered KMS IDs',
  xmlValue: 'includes 11b15659-… (Windows 10 2019 / LTSC 2019)',
  catalogValue: 'not covered (newer generation)',
  sources: ['kmsrsos-pkeyconfig', 'catalog-rule'],
  note: "The CSVLK licence's counted-ID list has no 11b15659-…; a key never covers a newer release.",
});
corrections.push({
  subject: 'CSVLK Windows Server 2022 (661f7658-…)',
  field: 'Activate KmsItem',
  xmlValue: '10a7e9fb-ca8c-5352-88f5-91b8dbe13b22 (no such KmsItem in the file)',
  catalogValue: 'b74263e4-0f92-46c6-bcf8-c11d5efe2959 (the XML\'s own Windows Server 2022 KmsItem) and everything below by rule',
  sources: ['kmsrsos-pkeyconfig', 'catalog-rule'],
});

const hostKeys: HostKey[] = HOST_KEY_DEFS.map((d): HostKey => {
  const x = XML_CSVLKS.find((c) => c.id === d.csvlkId) ?? fail(`host key ${d.id}: CSVLK ${d.csvlkId} not in KmsDataBase.xml`);
  const o = d.epidOverride;
  const groupId = o?.groupId ?? x.groupId ?? fail(`host key ${d.id}: no group id`);
  const xmlBlock = x.minKeyId === undefined || x.maxKeyId === undefined ? undefined : { start: x.minKeyId, end: x.maxKeyId };
  const keyIdBlocks = o?.blocks ?? (xmlBlock ? [xmlBlock] : fail(`host key ${d.id}: no key id range`));
  if (o !== undefined) {
    if (o.groupId !== undefined && o.groupId !== x.groupId) {
      corrections.push({ subject: `CSVLK ${x.name} (${x.id})`, field: 'GroupId', xmlValue: String(x.groupId), catalogValue: String(o.groupId), sources: o.sources, note: o.note });
    }
    corrections.push({
      subject: `CSVLK ${x.name} (${x.id})`,
      field: 'key id range',
      xmlValue: xmlBlock ? `${xmlBlock.start}–${xmlBlock.end}` : '(none)',
      catalogValue: o.blocks.map((b) => `${b.start}–${b.end}`).join(', '),
      sources: o.sources,
      note: o.note,
    });
  }
  const subject = { applicationId: d.application, group: d.group, generation: d.generation };
  return {
    id: d.id,
    csvlkId: g(d.csvlkId),
    name: d.name,
    applicationId: g(d.application),
    group: d.group,
    groupLabel: d.groupLabel,
    generation: d.generation,
    clientOnly: d.group === 'client-vl' || d.group === 'china-government',
    epid: {
      groupId,
      keyIdBlocks,
      defaultHostBuild: d.defaultHostBuild,
      releaseDate: d.releaseDate ?? x.releaseDate ?? fail(`host key ${d.id}: no release date`),
    },
    covers: KMS_ITEMS.filter((k) => hostKeyCoversItem(subject, k)).map((k) => k.id),
    sources: uniq([...d.sources, ...(o?.sources ?? [])]),
    ...(d.unverified === undefined ? {} : { unverified: d.unverified }),
  };
});

export const HOST_KEYS: readonly HostKey[] = deepFreeze(hostKeys);

/** Every change this catalog makes to KmsDataBase.xml, with the source that justifies it. */
export const CATALOG_CORRECTIONS: readonly CatalogCorrection[] = deepFreeze(corrections);

/** Labels of the orderable `generation` numbers, per family (index 0 = generation 1). */
export const GENERATIONS = GENERATION_LABELS;

export type { CatalogGuid };
