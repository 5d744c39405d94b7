import { NIL_GUID, encodeKmsRequest, fileTimeFromDate, type Guid, type KmsClientContext } from '@kmsgrid/kms-protocol';
import { benchProducts, type BenchProduct, type ProductClass } from './products.js';
import { pickWeighted, type WeightedMix } from './weights.js';

export type ProtocolKey = 'v4' | 'v5' | 'v6';
export const PROTOCOL_KEYS: readonly ProtocolKey[] = ['v4', 'v5', 'v6'];

/** What the simulated clients look like; identical specs give identical clients. */
export interface WorkloadSpec {
  readonly protocolMix: WeightedMix<ProtocolKey>;
  readonly productMix: WeightedMix<ProductClass>;
  /** Distinct CMIDs; each pick is uniform over them, so early picks are new clients and later ones renewals. */
  readonly poolSize: number;
  readonly seed: number;
}

/** One simulated machine. */
export interface ClientSlot {
  readonly index: number;
  readonly cmid: Guid;
  readonly product: BenchProduct;
  readonly protocol: 4 | 5 | 6;
  readonly workstation: string;
  readonly vmInfo: number;
  readonly licenseStatus: number;
  readonly bindingExpiration: number;
}

/** A request ready to send, with what the response must be checked against. */
export interface EncodedActivation {
  readonly slot: ClientSlot;
  readonly payload: Uint8Array;
  readonly context: KmsClientContext;
  readonly encodedAt: number;
}

/** 32-bit finaliser (lowbias32); spreads consecutive inputs over the whole range. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Deterministic 32-bit hash of (seed, index, field). */
export const slotHash = (seed: number, index: number, field: number): number =>
  mix32((mix32(index ^ mix32(seed)) + Math.imul(field + 1, 0x9e3779b9)) >>> 0);

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/**
 * The machine at `index` of the pool: CMID (random-looking, version-4 shaped),
 * product and protocol drawn from the mixes, workstation name, VM flag and
 * license state. Pure.
 */
export function clientSlot(spec: WorkloadSpec, index: number): ClientSlot {
  const h = (field: number) => slotHash(spec.seed, index, field);
  const u = (field: number) => h(field) / 2 ** 32;
  const w = [h(0), h(1), h(2), h(3)].map(hex8).join('');
  const cmid = `${w.slice(0, 8)}-${w.slice(8, 12)}-4${w.slice(13, 16)}-${((parseInt(w[16]!, 16) & 3) | 8).toString(16)}${w.slice(17, 20)}-${w.slice(20, 32)}` as Guid;
  const productClass = pickWeighted(spec.productMix, u(4));
  const products = benchProducts()[productClass];
  const product = products[h(5) % products.length]!;
  const protocol = Number(pickWeighted(spec.protocolMix, u(6)).slice(1)) as 4 | 5 | 6;
  // A VDI morning: most desktops are VMs renewing a licence; some are in their first grace period.
  const licensed = u(7) < 0.7;
  return {
    index,
    cmid,
    product,
    protocol,
    workstation: `vdi-${index.toString(36)}.bench.example`,
    vmInfo: u(8) < 0.6 ? 1 : 0,
    licenseStatus: licensed ? 1 : 2,
    bindingExpiration: licensed ? 259_200 - (h(9) % 10_080) : 43_200 - (h(9) % 1440),
  };
}

/** Encodes the request of `slot` now (fresh ClientTime and IV). */
export function encodeSlot(slot: ClientSlot, now = new Date()): EncodedActivation {
  const { bytes, context } = encodeKmsRequest({
    kind: 'kms-request',
    majorVersion: slot.protocol,
    minorVersion: 0,
    vmInfo: slot.vmInfo,
    licenseStatus: slot.licenseStatus,
    bindingExpiration: slot.bindingExpiration,
    applicationId: slot.product.applicationId,
    skuId: slot.product.skuId,
    kmsCountedId: slot.product.kmsCountedId,
    cmid: slot.cmid,
    nPolicy: slot.product.nPolicy,
    clientTime: fileTimeFromDate(now),
    previousCmid: NIL_GUID,
    workstationName: slot.workstation,
  });
  return { slot, payload: bytes, context, encodedAt: now.getTime() };
}

/**
 * The share of the pool one load thread draws from (slots shard, shard + shards,
 * ...), so threads never encode the same slot. Each slot's request is encoded on
 * first use and reused by its renewals until it is `maxAgeMs` old (the host
 * tolerates 4 h of clock skew), which keeps the encryption out of the loop.
 */
export class ClientPool {
  private readonly cache: (EncodedActivation | undefined)[];
  private readonly size: number;
  private encodedCount = 0;

  constructor(
    private readonly spec: WorkloadSpec,
    private readonly shard = 0,
    private readonly shards = 1,
    private readonly maxAgeMs = 30 * 60_000,
  ) {
    this.size = Math.max(0, Math.ceil((spec.poolSize - shard) / shards));
    if (this.size === 0) throw new Error(`kms-bench: pool of ${spec.poolSize} has no slot for thread ${shard} of ${shards}`);
    this.cache = new Array<EncodedActivation | undefined>(this.size);
  }

  /** Slots in this share. */
  get slots(): number {
    return this.size;
  }

  /** Requests encoded so far (first uses and refreshes). */
  get encoded(): number {
    return this.encodedCount;
  }

  /** The request of a slot picked by `u` (uniform in [0, 1)). */
  pick(u: number, now = Date.now()): EncodedActivation {
    const i = Math.min(this.size - 1, Math.floor(u * this.size));
    const hit = this.cache[i];
    if (hit !== undefined && now - hit.encodedAt < this.maxAgeMs) return hit;
    const fresh = encodeSlot(clientSlot(this.spec, this.shard + i * this.shards), new Date(now));
    this.cache[i] = fresh;
    this.encodedCount++;
    return fresh;
  }
}
