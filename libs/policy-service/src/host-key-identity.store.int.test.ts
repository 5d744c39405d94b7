import { createHash } from 'node:crypto';
import { findHostKey } from '@kmsgrid/kms-catalog';
import { isValidEpid } from '@kmsgrid/kms-protocol';
import { createEventStore, createPostgresDb } from '@kmsgrid/event-store';
import { PolicyServiceError, generateConfiguredIdentity, type RandomBytes } from '@kmsgrid/policy-domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '@kmsgrid/config';
import { createHostKeyIdentityStore, identityStreamId, type IdentityEventStore } from './host-key-identity.store.js';
import { NOW, configWith } from './testing/fixtures.js';
import { throwawaySchema, type TestSchema } from './testing/postgres.js';

// Real Postgres, one throwaway schema for the file; each test uses its own host keys
// so streams do not overlap.
let pg: TestSchema;
beforeAll(async () => {
  pg = await throwawaySchema('ids');
});
afterAll(async () => {
  await pg.drop();
});

/** Deterministic bytes per seed, so racers generate different candidates. */
function seeded(seed: string): RandomBytes {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 32) out.set(createHash('sha256').update(`${seed}/${counter++}`).digest().subarray(0, length - i), i);
    return out;
  };
}

function capture(lines: string[]): Logger {
  const log: Logger = { debug: (m) => void lines.push(m), info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m), child: () => log };
  return log;
}

const pick = ({ hostKeyId, epid, hwid, epidSource, hwidSource }: { hostKeyId: string; epid: string; hwid: string; epidSource: string; hwidSource: string }) => ({
  hostKeyId,
  epid,
  hwid,
  epidSource,
  hwidSource,
});

describe('host-key identity store on Postgres', () => {
  it('generates a well-formed identity once, carrying the host key group id, and keeps it across restarts', async () => {
    const config = configWith({ KMSGRID_HOST_KEYS: 'windows-server-2019,office-2021' });
    const store = pg.openStore();
    const first = createHostKeyIdentityStore({ store, random: seeded('first'), clock: () => NOW });
    const loaded = await first.load(config);
    expect(loaded.map((i) => i.hostKeyId)).toEqual(['windows-server-2019', 'office-2021']);

    for (const identity of loaded) {
      const key = findHostKey(identity.hostKeyId)!;
      expect(isValidEpid(identity.epid), identity.epid).toBe(true);
      const [platform, group, , , channel, lcid, build] = identity.epid.split('-');
      expect(platform).toBe('03612'); // Windows Server 2019 host build 17763 (catalog HOST_BUILDS)
      expect(Number(group)).toBe(key.epid.groupId);
      expect(channel).toBe('03');
      expect(lcid).toBe('1033');
      expect(build).toBe('17763.0000');
      expect(identity.hwid).toMatch(/^[0-9A-F]{16}$/);
      expect(identity).toMatchObject({ epidSource: 'generated', hwidSource: 'generated' });
      expect(first.get(identity.hostKeyId)).toBe(identity);

      const stream = await store.readStream(identityStreamId(identity.hostKeyId));
      expect(stream.events).toHaveLength(1);
      expect(stream.events[0]).toMatchObject({
        type: 'HostKeyIdentityGenerated',
        data: { hostKeyId: identity.hostKeyId, epid: identity.epid, hwid: identity.hwid, generatedAt: NOW.toISOString() },
      });
    }

    // Loading again, and a new process on the same schema with other randomness: same identities, no new event.
    expect((await first.load(config)).map(pick)).toEqual(loaded.map(pick));
    const restarted = createHostKeyIdentityStore({ store: pg.openStore(), random: seeded('restart'), clock: () => new Date() });
    expect((await restarted.load(config)).map(pick)).toEqual(loaded.map(pick));
    for (const identity of loaded) expect((await store.readStream(identityStreamId(identity.hostKeyId))).version).toBe(1);
  });

  it('makes concurrent loads on one schema agree on the first stored identity', async () => {
    const config = configWith({ KMSGRID_HOST_KEYS: 'windows-server-2022,windows-10-2019-client,office-2016' });
    const racers = Array.from({ length: 6 }, (_, i) => createHostKeyIdentityStore({ store: pg.openStore(), random: seeded(`racer-${i}`), clock: () => NOW }));
    const results = await Promise.all(racers.map((r) => r.load(config)));
    const winner = results[0]!.map(pick);
    for (const result of results) expect(result.map(pick)).toEqual(winner);
    const store = pg.openStore();
    for (const id of config.hostKeyIds) {
      const stream = await store.readStream(identityStreamId(id));
      expect(stream.events).toHaveLength(1);
      expect(stream.events[0]?.data).toMatchObject({ epid: winner.find((w) => w.hostKeyId === id)?.epid });
    }
    // The racers' own candidates differ: the agreement comes from the store, not from equal randomness.
    const candidates = new Set([0, 1, 2].map((i) => generateConfiguredIdentity(findHostKey('windows-server-2022')!, config, seeded(`racer-${i}`), NOW)).map((r) => (r.ok ? r.value.epid : r.error.message)));
    expect(candidates.size).toBe(3);
  });

  it('uses the winner when it loses the append race (ConcurrencyError), as the log shows', async () => {
    const config = configWith({ KMSGRID_HOST_KEYS: 'windows-server-2025' });
    // The first read of each racer waits until all have read: every racer sees an empty stream and appends.
    const racers = 3;
    let arrived = 0;
    let openBarrier: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => (openBarrier = resolve));
    const logs: string[] = [];
    const stores = Array.from({ length: racers }, (_, i) => {
      const real = pg.openStore();
      let first = true;
      const store: IdentityEventStore = {
        append: (...args) => real.append(...args),
        readStream: async (...args) => {
          const result = await real.readStream(...args);
          if (first) {
            first = false;
            if (++arrived === racers) openBarrier();
            await barrier;
          }
          return result;
        },
      };
      return createHostKeyIdentityStore({ store, random: seeded(`lose-${i}`), clock: () => NOW, log: capture(logs) });
    });
    const results = await Promise.all(stores.map((s) => s.load(config)));
    for (const r of results) expect(r.map(pick)).toEqual(results[0]!.map(pick));
    expect(logs.filter((m) => m === 'host key identity generated')).toHaveLength(1);
    expect(logs.filter((m) => m === 'host key identity generated by another replica')).toHaveLength(racers - 1);
    expect((await pg.openStore().readStream(identityStreamId('windows-server-2025'))).version).toBe(1);
  });

  it('uses operator-configured ePIDs and HWID verbatim and records no event for them', async () => {
    const epid = '03612-00206-556-123456-03-1033-17763.0000-0012026';
    const config = configWith({ KMSGRID_HOST_KEYS: 'windows-server-2016', KMSGRID_EPID_WINDOWS_SERVER_2016: epid, KMSGRID_HWID: '3a1c049600b60076' });
    const store = pg.openStore();
    const [identity] = await createHostKeyIdentityStore({ store, random: seeded('op'), clock: () => NOW }).load(config);
    expect(pick(identity!)).toEqual({ hostKeyId: 'windows-server-2016', epid, hwid: '3A1C049600B60076', epidSource: 'configured', hwidSource: 'configured' });
    expect((await store.readStream(identityStreamId('windows-server-2016'))).exists).toBe(false);
  });

  it('completes a partly configured identity with the stored generated values', async () => {
    const epid = '03612-00206-556-123456-03-1033-17763.0000-0012026';
    const store = pg.openStore();
    const generated = await createHostKeyIdentityStore({ store, random: seeded('partial'), clock: () => NOW }).load(configWith({ KMSGRID_HOST_KEYS: 'windows-server-2012-r2' }));
    const [withEpid] = await createHostKeyIdentityStore({ store, clock: () => NOW }).load(
      configWith({ KMSGRID_HOST_KEYS: 'windows-server-2012-r2', KMSGRID_EPID_WINDOWS_SERVER_2012_R2: epid }),
    );
    expect(pick(withEpid!)).toEqual({ hostKeyId: 'windows-server-2012-r2', epid, hwid: generated[0]!.hwid, epidSource: 'configured', hwidSource: 'generated' });
    const [withHwid] = await createHostKeyIdentityStore({ store, clock: () => NOW }).load(
      configWith({ KMSGRID_HOST_KEYS: 'windows-server-2012-r2', KMSGRID_HWID: '0123456789ABCDEF' }),
    );
    expect(pick(withHwid!)).toEqual({ ...pick(generated[0]!), hwid: '0123456789ABCDEF', hwidSource: 'configured' });
    // The override hides the stored identity but does not replace it.
    expect((await store.readStream(identityStreamId('windows-server-2012-r2'))).version).toBe(1);
  });

  it('refuses a stream whose event fails the schema, with KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', async () => {
    const store = pg.openStore();
    await store.append(identityStreamId('windows-server-2008-r2-c'), 'no_stream', [
      { type: 'HostKeyIdentityGenerated', data: { hostKeyId: 'windows-server-2008-r2-c', epid: 'not an epid', hwid: 'x', generatedAt: NOW.toISOString() } },
    ]);
    const identities = createHostKeyIdentityStore({ store, clock: () => NOW });
    const err = await identities.load(configWith({ KMSGRID_HOST_KEYS: 'windows-server-2008-r2-c' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyServiceError);
    expect(err).toMatchObject({ code: 'KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', natsCode: 503 });
    expect(identities.list()).toEqual([]);
  });

  it('reports an unreachable event store as KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', async () => {
    // Nothing listens on port 1: connection refused.
    const { db, close } = createPostgresDb<unknown>({ connectionString: 'postgres://postgres@127.0.0.1:1/test', max: 1 });
    try {
      const err = await createHostKeyIdentityStore({ store: createEventStore(db, { schema: pg.schema }) })
        .load(configWith({ KMSGRID_HOST_KEYS: 'windows-server-2019' }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'PolicyServiceError', code: 'KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE' });
    } finally {
      await close();
    }
  });
});
