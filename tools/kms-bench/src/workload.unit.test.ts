import { describe, expect, it } from 'vitest';
import { encodeKmsResponse, decodeKmsRequest } from '@kmsgrid/kms-protocol';
import { verifyResponse } from './activation.js';
import { CONSTANT_REPLY } from './ingress-host.js';
import { benchProducts } from './products.js';
import { parseMix } from './weights.js';
import { ClientPool, clientSlot, encodeSlot, type WorkloadSpec } from './workload.js';

const mix = <K extends string>(text: string, keys: readonly K[]) => {
  const r = parseMix(text, keys);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};
const spec: WorkloadSpec = {
  protocolMix: mix('v4:1,v5:1,v6:2', ['v4', 'v5', 'v6']),
  productMix: mix('client:3,server:1,office:1', ['client', 'server', 'office']),
  poolSize: 1000,
  seed: 42,
};

describe('clientSlot', () => {
  it('is deterministic per seed and index', () => {
    expect(clientSlot(spec, 7)).toEqual(clientSlot(spec, 7));
    expect(clientSlot(spec, 7).cmid).not.toBe(clientSlot(spec, 8).cmid);
    expect(clientSlot({ ...spec, seed: 43 }, 7).cmid).not.toBe(clientSlot(spec, 7).cmid);
  });

  it('gives distinct version-4-shaped CMIDs', () => {
    const cmids = new Set(Array.from({ length: 1000 }, (_, i) => clientSlot(spec, i).cmid));
    expect(cmids.size).toBe(1000);
    for (const c of cmids) expect(c).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('follows the protocol and product mixes', () => {
    const n = 4000;
    const protocols = { 4: 0, 5: 0, 6: 0 };
    const classes = { client: 0, server: 0, office: 0 };
    for (let i = 0; i < n; i++) {
      const s = clientSlot({ ...spec, poolSize: n }, i);
      protocols[s.protocol]++;
      classes[s.product.productClass]++;
    }
    expect(protocols[4] / n).toBeCloseTo(0.25, 1);
    expect(protocols[6] / n).toBeCloseTo(0.5, 1);
    expect(classes.client / n).toBeCloseTo(0.6, 1);
    expect(classes.office / n).toBeCloseTo(0.2, 1);
  });

  it('uses catalog products with their N-policy', () => {
    const all = Object.values(benchProducts()).flat();
    expect(all).toHaveLength(15);
    expect(all.filter((p) => p.productClass === 'client').every((p) => p.nPolicy === 25)).toBe(true);
    expect(all.filter((p) => p.productClass !== 'client').every((p) => p.nPolicy === 5)).toBe(true);
  });
});

describe('encodeSlot and verifyResponse', () => {
  it.each([4, 5, 6] as const)('v%d: a host answer verifies, a tampered one is a wrong answer', (protocol) => {
    const slot = { ...clientSlot(spec, 1), protocol };
    const item = encodeSlot(slot);
    const { request, context } = decodeKmsRequest(item.payload);
    expect(request.cmid).toBe(slot.cmid);
    expect(request.workstationName).toBe(slot.workstation);
    const answer = encodeKmsResponse(
      { kind: 'kms-response', majorVersion: protocol, minorVersion: 0, epid: CONSTANT_REPLY.kind === 'activate' ? CONSTANT_REPLY.epid : '', cmid: request.cmid, clientTime: request.clientTime, count: 50, activationInterval: 120, renewalInterval: 10080, hwid: new Uint8Array(8) },
      context,
    );
    expect(verifyResponse(answer, item)).toEqual({ ok: true, count: 50 });
    const tampered = answer.slice();
    tampered[tampered.length - 20]! ^= 1;
    expect(verifyResponse(tampered, item)).toMatchObject({ ok: false, kind: 'wrong-answer' });
    const otherClient = encodeSlot({ ...clientSlot(spec, 2), protocol });
    expect(verifyResponse(answer, otherClient)).toMatchObject({ ok: false, kind: 'wrong-answer' });
  });
});

describe('ClientPool', () => {
  it('encodes a slot once and reuses it until it is too old', () => {
    const pool = new ClientPool({ ...spec, poolSize: 10 }, 0, 1, 60_000);
    const a = pool.pick(0.05, 1_000_000);
    expect(pool.pick(0.05, 1_030_000)).toBe(a);
    expect(pool.encoded).toBe(1);
    const b = pool.pick(0.05, 1_070_000);
    expect(b).not.toBe(a);
    expect(b.slot.cmid).toBe(a.slot.cmid);
    expect(pool.encoded).toBe(2);
  });

  it('shards the pool between threads without overlap', () => {
    const small = { ...spec, poolSize: 10 };
    const seen = new Map<string, number>();
    for (let shard = 0; shard < 3; shard++) {
      const pool = new ClientPool(small, shard, 3);
      for (let i = 0; i < pool.slots; i++) {
        const cmid = pool.pick((i + 0.5) / pool.slots).slot.cmid;
        expect(seen.has(cmid)).toBe(false);
        seen.set(cmid, shard);
      }
    }
    expect(seen.size).toBe(10);
  });
});
