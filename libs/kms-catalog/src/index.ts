export type { CatalogGuid } from './guid.js';
export { parseCatalogGuid, isCatalogGuid } from './guid.js';
export type { CatalogSource, SourceId } from './sources.js';
export { CATALOG_SOURCES } from './sources.js';
export type {
  Application,
  ApplicationKind,
  CatalogCorrection,
  EpidIngredients,
  HostBuild,
  HostKey,
  KeyGroup,
  KeyIdBlock,
  KmsChannel,
  KmsItem,
  KmsProtocolMajor,
  ProductKind,
  ProductMatch,
  ReleaseAlias,
  Sku,
} from './types.js';
export { APPLICATIONS, CATALOG_CORRECTIONS, GENERATIONS, HOST_BUILDS, HOST_KEYS, KMS_ITEMS, SKUS } from './catalog.js';
export { KMSDB_SHA256 } from './raw/kmsdb-extract.generated.js';
export type { CoverageSubject } from './rules.js';
export { hostKeyCoversItem } from './rules.js';
export {
  findApplication,
  findHostBuild,
  findHostKey,
  findKmsItem,
  findProductByName,
  findSku,
  findSkuByGvlk,
  normalizeProductName,
  productForSku,
  searchProducts,
} from './lookup.js';
export { COVERABLE_KMS_IDS, DEFAULT_HOST_KEY_IDS, coveredKmsIds, coveringHostKey, unknownHostKeyIds } from './coverage.js';
export type { CatalogErrorCode, CatalogResult } from './errors.js';
export { CatalogError } from './errors.js';
export type { EpidParts, HostEpidOptions, ParsedEpid } from './epid.js';
export { epidDateParts, epidForHostKey, formatEpid, keyIdFromUniform, keyIdInBlocks, parseEpid } from './epid.js';
