// Test helpers (not exported from index.ts): requests built from catalog products, a
// deterministic byte source, and configs.
import { createHash } from 'node:crypto';
import type { KmsRequestDto, PolicyDecideRequest } from '@kmsgrid/contracts';
import { findKmsItem, findProductByName, type KmsItem } from '@kmsgrid/kms-catalog';
import { parsePolicyConfig, type PolicyConfig } from '../policy-config.js';
import type { RandomBytes } from '../host-key-identity.js';

export const NOW = new Date('2026-11-27T12:00:00Z');
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
export const fileTime = (d: Date): bigint => BigInt(d.getTime()) * 10_000n + FILETIME_UNIX_EPOCH;
export const TICKS_PER_MINUTE = 600_000_000n;

/** The KMS counted ID a product (Microsoft's name) sends. */
export function kmsItemOf(productName: string): KmsItem {
  const m = findProductByName(productName);
  if (m === undefined) throw new Error(`test fixture: no product named ${productName}`);
  return m.kmsItem;
}

export function kmsItemById(id: string): KmsItem {
  const item = findKmsItem(id);
  if (item === undefined) throw new Error(`test fixture: no KMS item ${id}`);
  return item;
}

/** A v6 decide request for a product, clock = NOW unless overridden. */
export function requestFor(item: KmsItem, body: Partial<KmsRequestDto> = {}, version = { major: 6, minor: 0 }): PolicyDecideRequest {
  return {
    origin: {
      requestId: '00000000-0000-4000-8000-000000000001',
      receivedAt: NOW.toISOString(),
      clientAddress: '192.0.2.10',
      ingressId: 'ingress-test',
      rpcSyntax: 'ndr32',
    },
    version,
    request: {
      vmInfo: 0,
      licenseStatus: 2,
      bindingExpiration: 43_200,
      applicationId: item.applicationId,
      skuId: '00000000-0000-0000-0000-000000000000',
      kmsCountedId: item.id,
      cmid: '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901',
      previousCmid: '00000000-0000-0000-0000-000000000000',
      nPolicy: item.nPolicy,
      clientTime: fileTime(NOW).toString(),
      workstationName: 'pc-01.contoso.test',
      ...body,
    },
  };
}

/** A valid config from env overrides; fails the test on config errors. */
export function configWith(env: Record<string, string> = {}): PolicyConfig {
  const r = parsePolicyConfig(env);
  if (!r.ok) throw new Error(`test fixture: config errors: ${r.errors.join(' | ')}`);
  return r.config;
}

/** Deterministic bytes: SHA-256 counter stream of a seed. */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length) => {
    while (pool.length < length) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      pool = Uint8Array.from([...pool, ...block]);
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

/** Answers the n-th call with the n-th byte array (zero-padded; zeros once exhausted). */
export function fixedRandom(...chunks: readonly (readonly number[])[]): RandomBytes {
  let call = 0;
  return (length) => {
    const chunk = chunks[call++] ?? [];
    return Uint8Array.from({ length }, (_, j) => chunk[j] ?? 0);
  };
}
