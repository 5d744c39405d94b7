import type { ClientOptions, KmsProtocolVersion } from './options.js';
import { fileTimeFromDate, NIL_GUID, type Guid, type KmsRequest } from './protocol.js';

/** A product as the client needs it: the three GUIDs, names for display, and defaults. */
export interface ProductInfo {
  /** Microsoft's name of the SKU, e.g. "Windows 10 Enterprise"; undefined for bare GUIDs. */
  readonly name?: string;
  readonly applicationId: Guid;
  readonly applicationName?: string;
  /** Catalog name of the SKU (may differ from `name`, which is the alias that matched). */
  readonly skuName?: string;
  readonly kmsCountedId: Guid;
  /** Name of the KMS counted ID, e.g. "Windows 10 2015 (Volume)". */
  readonly kmsItemName?: string;
  readonly skuId: Guid;
  /** Protocol a real client of this product speaks. */
  readonly defaultProtocol?: KmsProtocolVersion;
  /** N-policy of the KMS item (25 Windows client, 5 server and Office). */
  readonly nPolicy?: number;
}

/**
 * What `buildRequest` needs from the product catalog. `catalog.ts` implements it
 * over @kmsgrid/kms-catalog; a fixed table implements it in tests of odd cases.
 */
export interface ProductCatalogPort {
  byName(name: string): ProductInfo | undefined;
  bySku(skuId: Guid): ProductInfo | undefined;
  /** A product built from a KMS counted ID alone (no SKU known). */
  byKmsItem(kmsId: Guid): Omit<ProductInfo, 'skuId'> | undefined;
  applicationName(appId: Guid): string | undefined;
  /** Close matches for a name the catalog does not know, best first. */
  suggest(name: string): readonly string[];
}

/** The per-request values the caller draws (random in the CLI, fixed in tests). */
export interface FreshValues {
  readonly cmid: Guid;
  readonly workstation: string;
  readonly now: Date;
}

export interface BuiltRequest {
  readonly request: KmsRequest;
  readonly product: ProductInfo;
  readonly protocol: KmsProtocolVersion;
}

export type BuildResult =
  | ({ readonly ok: true } & BuiltRequest)
  | { readonly ok: false; readonly message: string; readonly suggestions: readonly string[] };

/** Product used when neither a name nor GUIDs are given. */
export const DEFAULT_PRODUCT = 'Windows 10 Enterprise';
const FALLBACK_PROTOCOL: KmsProtocolVersion = 6;
const FALLBACK_NPOLICY = 25;

/**
 * Which product the options mean: a name (with GUID overrides), a SKU, a KMS ID,
 * or three explicit GUIDs. Pure.
 */
export function resolveProduct(
  options: Pick<ClientOptions, 'product' | 'appId' | 'kmsId' | 'skuId'>,
  catalog: ProductCatalogPort,
): { ok: true; product: ProductInfo } | { ok: false; message: string; suggestions: readonly string[] } {
  const { appId, kmsId, skuId } = options;
  let base: Partial<ProductInfo> | undefined;
  if (options.product !== undefined) {
    base = catalog.byName(options.product);
    if (!base) {
      const suggestions = catalog.suggest(options.product);
      return { ok: false, message: `unknown product ${JSON.stringify(options.product)}`, suggestions };
    }
  } else if (skuId !== undefined) {
    base = catalog.bySku(skuId) ?? {};
  } else if (kmsId !== undefined) {
    base = catalog.byKmsItem(kmsId) ?? {};
  } else if (appId === undefined) {
    base = catalog.byName(DEFAULT_PRODUCT);
    if (!base) return { ok: false, message: `the catalog has no ${DEFAULT_PRODUCT}`, suggestions: [] };
  } else {
    base = {};
  }
  const applicationId = appId ?? base.applicationId;
  const kmsCountedId = kmsId ?? base.kmsCountedId;
  if (applicationId === undefined || kmsCountedId === undefined) {
    const missing = [applicationId === undefined && '--app', kmsCountedId === undefined && '--kms'].filter(Boolean).join(' and ');
    return { ok: false, message: `the catalog does not know this SKU/KMS ID; give ${missing} (or --product)`, suggestions: [] };
  }
  const product: ProductInfo = {
    ...base,
    applicationId,
    applicationName: appId !== undefined ? catalog.applicationName(appId) : (base.applicationName ?? catalog.applicationName(applicationId)),
    kmsCountedId,
    ...(kmsId !== undefined && kmsId !== base.kmsCountedId && { kmsItemName: catalog.byKmsItem(kmsId)?.kmsItemName }),
    skuId: skuId ?? base.skuId ?? NIL_GUID,
  };
  return { ok: true, product };
}

/**
 * Builds one KMS request from the options, the catalog and the fresh per-request
 * values. Pure: the same inputs give the same request.
 * @example buildRequest(opts, catalog, { cmid, workstation: 'pc1.example.org', now: new Date() })
 */
export function buildRequest(options: ClientOptions, catalog: ProductCatalogPort, fresh: FreshValues): BuildResult {
  const resolved = resolveProduct(options, catalog);
  if (!resolved.ok) return resolved;
  const { product } = resolved;
  const protocol = options.protocol ?? product.defaultProtocol ?? FALLBACK_PROTOCOL;
  const request: KmsRequest = {
    kind: 'kms-request',
    majorVersion: protocol,
    minorVersion: 0,
    vmInfo: options.vm ? 1 : 0,
    licenseStatus: options.licenseStatus,
    bindingExpiration: options.remainingMinutes,
    applicationId: product.applicationId,
    skuId: product.skuId,
    kmsCountedId: product.kmsCountedId,
    cmid: options.cmid ?? fresh.cmid,
    nPolicy: options.nPolicy ?? product.nPolicy ?? FALLBACK_NPOLICY,
    clientTime: fileTimeFromDate(fresh.now),
    previousCmid: options.previousCmid ?? NIL_GUID,
    workstationName: options.workstation ?? fresh.workstation,
  };
  return { ok: true, request, product, protocol };
}
