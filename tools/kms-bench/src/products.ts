import { findProductByName } from '@kmsgrid/kms-catalog';
import type { Guid } from '@kmsgrid/kms-protocol';

export type ProductClass = 'client' | 'server' | 'office';
export const PRODUCT_CLASSES: readonly ProductClass[] = ['client', 'server', 'office'];

/** The GUIDs a request carries for one SKU, with its N-policy. */
export interface BenchProduct {
  readonly name: string;
  readonly productClass: ProductClass;
  readonly applicationId: Guid;
  readonly skuId: Guid;
  readonly kmsCountedId: Guid;
  readonly nPolicy: number;
}

/**
 * Volume SKUs a VDI morning plausibly mixes, per class. Every one is covered by the
 * all-in-one's default host keys (Windows Server 2025 and the Office keys).
 */
const NAMES: Readonly<Record<ProductClass, readonly string[]>> = {
  client: ['Windows 11 Enterprise', 'Windows 11 Pro', 'Windows 11 Education', 'Windows 10 Enterprise LTSC 2019', 'Windows 7 Enterprise'],
  server: [
    'Windows Server 2022 Standard',
    'Windows Server 2019 Datacenter',
    'Windows Server 2016 Standard',
    'Windows Server 2012 R2 Standard',
    'Windows Server 2025 Standard',
  ],
  office: [
    'Office LTSC Professional Plus 2021',
    'Office Professional Plus 2019',
    'Office Professional Plus 2016',
    'Office LTSC Professional Plus 2024',
    'Office Professional Plus 2010',
  ],
};

let cached: Readonly<Record<ProductClass, readonly BenchProduct[]>> | undefined;

/** The products per class, resolved from @kmsgrid/kms-catalog; throws if the catalog lost one. */
export function benchProducts(): Readonly<Record<ProductClass, readonly BenchProduct[]>> {
  if (cached) return cached;
  const resolve = (productClass: ProductClass) =>
    NAMES[productClass].map((name): BenchProduct => {
      const m = findProductByName(name);
      if (m === undefined) throw new Error(`kms-bench: the catalog has no ${JSON.stringify(name)}`);
      return {
        name: m.sku.name,
        productClass,
        applicationId: m.kmsItem.applicationId as string as Guid,
        skuId: m.sku.id as string as Guid,
        kmsCountedId: m.kmsItem.id as string as Guid,
        nPolicy: m.kmsItem.nPolicy,
      };
    });
  cached = { client: resolve('client'), server: resolve('server'), office: resolve('office') };
  return cached;
}
