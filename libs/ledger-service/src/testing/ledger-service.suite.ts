import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerClientDto } from '@kmsgrid/contracts';
import {
  APPLICATIONS,
  COUNT_WINDOW_MS,
  LICENSE_STATUS,
  NO_APPLICATION_ID,
  clientsProjection,
  countsProjection,
  requestStatsProjection,
  type Projection,
} from '@kmsgrid/ledger-domain';
import type { StoredCountGroupEvent } from '../projection-writer.js';
import { toStoredCountGroupEvent } from '../restore.js';
import { clientRowFromDb, countGroupRowFromDb, requestStatsRowFromDb } from '../schema/mappers.js';
import type { LedgerService } from '../ledger-service.js';
import { LedgerServiceError } from '../errors.js';
import { LedgerTestEnv, countEvents, dumpProjections, type TestBackend } from './backends.js';
import { DAY_MS, KMS_IDS, ManualClock, SERVER, WIN7, day, guid, recordRequest, type RequestSpec } from './fixtures.js';

type Machine = RequestSpec & { nPolicy: number };
const machines = (n: number, kind: { nPolicy: number; kmsCountedId: string }, from: number): Machine[] =>
  Array.from({ length: n }, (_, i) => ({ cmid: guid(from + i), ...kind }));

/**
 * The ledger service against one backend (real Postgres, embedded PGlite):
 * counting through record(), expiry, refusals, restart, group commit,
 * idempotency, one event per request, rebuild == live, queries.
 */
export function ledgerServiceSuite(makeBackend: () => Promise<TestBackend>): void {
  let env: LedgerTestEnv;

  beforeAll(async () => {
    env = await LedgerTestEnv.open(await makeBackend());
  });
  afterEach(async () => {
    await env.stopServices();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** A started leader on a fresh schema. */
  async function fresh(clock = new ManualClock(day(1))) {
    const { schema, store } = await env.freshSchema();
    const ledger = env.service(store, { clock: clock.now });
    await ledger.start();
    return { schema, store, ledger, clock };
  }

  /** Each machine asks, then each retries once (as clients in grace do); the counts seen on the retries. */
  async function askAndRetry(ledger: LedgerService, clock: ManualClock, ms: readonly Machine[]) {
    for (const m of ms) {
      clock.advance(60_000);
      await ledger.record(recordRequest(m, clock.now()));
    }
    const seen: number[] = [];
    for (const m of ms) {
      clock.advance(60_000);
      seen.push((await ledger.record(recordRequest(m, clock.now()))).count);
    }
    return { seen, activated: ms.filter((m, i) => (seen[i] as number) >= m.nPolicy) };
  }

  describe('Table 1 (Microsoft volume activation planning) through record()', () => {
    it('4 x Server 2008 R2 (N=5) + 1 x Windows 7 (N=25): count 5, only the servers activate', async () => {
      const { ledger, clock } = await fresh();
      const { seen, activated } = await askAndRetry(ledger, clock, [...machines(4, SERVER, 1), ...machines(1, WIN7, 100)]);
      expect(seen).toEqual([5, 5, 5, 5, 5]);
      expect(activated.map((m) => m.nPolicy)).toEqual([5, 5, 5, 5]);
    });

    it('1 server + 1 x Windows 7: count 2, nobody activates', async () => {
      const { ledger, clock } = await fresh();
      const { seen, activated } = await askAndRetry(ledger, clock, [...machines(1, SERVER, 1), ...machines(1, WIN7, 100)]);
      expect(seen).toEqual([2, 2]);
      expect(activated).toEqual([]);
    });

    it('4 servers + 22 x Windows 7: count 26, everyone activates', async () => {
      const { ledger, clock } = await fresh();
      const { seen, activated } = await askAndRetry(ledger, clock, [...machines(4, SERVER, 1), ...machines(22, WIN7, 100)]);
      expect(seen.every((c) => c === 26)).toBe(true);
      expect(activated).toHaveLength(26);
    });

    it('servers only cap at 10 (2 x N); a Windows 7 client then raises the cap to 50', async () => {
      const { ledger, clock } = await fresh();
      const counts: number[] = [];
      for (const m of machines(12, SERVER, 1)) {
        clock.advance(1000);
        counts.push((await ledger.record(recordRequest(m, clock.now()))).count);
      }
      expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
      expect((await ledger.record(recordRequest({ cmid: guid(100), ...WIN7 }))).count).toBe(13);
    });
  });

  describe('the 30-day window, renewals, refusals, applications', () => {
    it('expires a CMID after 30 days (injected clock) and counts it anew when it returns', async () => {
      const { ledger, clock } = await fresh(new ManualClock(day(0)));
      const A = guid(0xa), B = guid(0xb);
      expect(await ledger.record(recordRequest({ cmid: A }))).toEqual({ count: 1, newClient: true });
      clock.set(day(20));
      expect(await ledger.record(recordRequest({ cmid: B }))).toEqual({ count: 2, newClient: true });
      clock.set(new Date(day(0).getTime() + COUNT_WINDOW_MS + 1));
      // A left the window; B has not.
      expect((await ledger.status()).applications[0]).toMatchObject({ activeClients: 1 });
      expect(await ledger.record(recordRequest({ cmid: A }))).toEqual({ count: 2, newClient: true });
      clock.set(day(51));
      expect(await ledger.record(recordRequest({ cmid: guid(0xc) }))).toEqual({ count: 2, newClient: true });
    });

    it('renewals do not raise the count', async () => {
      const { ledger, clock } = await fresh();
      for (let i = 0; i < 3; i++) await ledger.record(recordRequest({ cmid: guid(i) }));
      for (let round = 0; round < 3; round++) {
        clock.advance(7 * DAY_MS);
        for (let i = 0; i < 3; i++) expect(await ledger.record(recordRequest({ cmid: guid(i), licenseStatus: LICENSE_STATUS.licensed }))).toEqual({ count: 3, newClient: false });
      }
      const clients = await ledger.listClients({});
      expect(clients.clients.map((c) => c.requestCount)).toEqual([4, 4, 4]);
    });

    it('records refused requests without counting them, including undecodable ones', async () => {
      const { ledger, store } = await fresh();
      await ledger.record(recordRequest({ cmid: guid(1) }));
      const refusal = { hresult: 0xc004f042, reason: 'no host key covers this product' };
      expect(await ledger.record(recordRequest({ cmid: guid(2), refused: refusal, licenseStatus: LICENSE_STATUS.notification }))).toEqual({ count: 1, newClient: false });
      await ledger.record(recordRequest({ cmid: guid(3), noBody: true, refused: { hresult: 0x8007000d, reason: 'unknown version 9.0' } }));
      expect(await ledger.record(recordRequest({ cmid: guid(4) }))).toEqual({ count: 2, newClient: true });
      const status = await ledger.status();
      const windows = status.applications.find((a) => a.applicationId === APPLICATIONS.windows);
      expect(windows).toMatchObject({ activeClients: 2, reportedCount: 2, requests: { total: 3, failed: 1, notification: 1, initialGrace: 2 } });
      expect(status.applications.find((a) => a.applicationId === NO_APPLICATION_ID)?.requests).toMatchObject({ total: 1, failed: 1 });
      const refused = (await ledger.listClients({ applicationId: APPLICATIONS.windows })).clients.find((c) => c.cmid === guid(2));
      expect(refused).toMatchObject({ lastOutcome: 'refused', lastHresult: 0xc004f042, lastCountedAt: null, refusedCount: 1 });
      expect(await countEvents(env.db, store.schema)).toBe(4);
    });

    it('keeps Office and Windows apart', async () => {
      const { ledger } = await fresh();
      for (let i = 0; i < 3; i++) await ledger.record(recordRequest({ cmid: guid(i) }));
      const office = { applicationId: APPLICATIONS.office2013, kmsCountedId: KMS_IDS.office2013, nPolicy: 5 };
      expect(await ledger.record(recordRequest({ cmid: guid(0), ...office }))).toEqual({ count: 1, newClient: true });
      expect(await ledger.record(recordRequest({ cmid: guid(9), ...office }))).toEqual({ count: 2, newClient: true });
      expect(await ledger.record(recordRequest({ cmid: guid(9) }))).toEqual({ count: 4, newClient: true });
      const apps = (await ledger.status()).applications;
      expect(apps.map((a) => [a.name, a.activeClients])).toEqual([
        ['Windows', 4],
        ['Office 2013+', 2],
      ]);
    });
  });

  describe('durability and recovery', () => {
    it('a new instance on the same schema keeps every count and client', async () => {
      const clock = new ManualClock(day(1));
      const { ledger, store } = await fresh(clock);
      for (let i = 0; i < 30; i++) {
        clock.advance(3_600_000);
        await ledger.record(recordRequest({ cmid: guid(i % 20), ...(i % 5 === 0 ? SERVER : WIN7) }));
      }
      const before = { status: await ledger.status(), clients: await ledger.listClients({ limit: 500 }) };
      await ledger.stop();
      await expect(ledger.record(recordRequest({ cmid: guid(1) }))).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_STOPPING' });

      const again = env.service(store, { clock: clock.now });
      await again.start();
      expect(again.isLeader()).toBe(true);
      expect(await again.status()).toEqual(before.status);
      expect(await again.listClients({ limit: 500 })).toEqual(before.clients);
      clock.advance(60_000);
      expect(await again.record(recordRequest({ cmid: guid(3) }))).toEqual({ count: 20, newClient: false });
      expect(await again.record(recordRequest({ cmid: guid(77) }))).toEqual({ count: 21, newClient: true });
    });

    it('answers a re-delivered request id with its first reply, once, also after a restart', async () => {
      const clock = new ManualClock(day(1));
      const { ledger, store } = await fresh(clock);
      const first = recordRequest({ cmid: guid(1) });
      const [a, b] = await Promise.all([ledger.record(first), ledger.record(first)]);
      expect(a).toEqual({ count: 1, newClient: true });
      expect(b).toEqual(a);
      await ledger.record(recordRequest({ cmid: guid(2) }));
      clock.advance(30_000);
      expect(await ledger.record(first)).toEqual({ count: 1, newClient: true });
      await ledger.stop();
      const again = env.service(store, { clock: clock.now });
      await again.start();
      clock.advance(30_000);
      expect(await again.record(first)).toEqual({ count: 1, newClient: true });
      expect(await countEvents(env.db, store.schema)).toBe(2);
      expect((await again.status()).applications[0]?.requests.total).toBe(2);
    });

    it('200 concurrent record() calls: few transactions, exact counts, one event per request', async () => {
      const { ledger, store } = await fresh();
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.record(recordRequest({ cmid: guid(i), nPolicy: 500 }))));
      expect(ledger.stats().batches).toBeLessThanOrEqual(3);
      expect(replies.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(replies.every((r) => r.newClient)).toBe(true);
      expect(await countEvents(env.db, store.schema)).toBe(200);
      const again = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.record(recordRequest({ cmid: guid(i), nPolicy: 25 }))));
      // The cap follows the highest N-policy ever seen (500), not the last one.
      expect(new Set(again.map((r) => r.count))).toEqual(new Set([200]));
      expect((await ledger.status()).applications[0]).toMatchObject({ activeClients: 200, reportedCount: 200, highestNPolicy: 500, lowestNPolicy: 25 });
      expect(await countEvents(env.db, store.schema)).toBe(400);
    });

    it('maxSize splits a burst, maxDelayMs gathers a trickle, maxPending refuses beyond it', async () => {
      const { store } = await env.freshSchema();
      const ledger = env.service(store, { batch: { maxSize: 50, maxDelayMs: 300 } });
      await ledger.start();
      const burst = await Promise.all(Array.from({ length: 120 }, (_, i) => ledger.record(recordRequest({ cmid: guid(i), nPolicy: 1000 }))));
      expect(burst.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      expect(ledger.stats()).toMatchObject({ batches: 3, recorded: 120, pending: 0 });
      const trickle: Promise<{ count: number }>[] = [];
      for (let i = 0; i < 5; i++) {
        trickle.push(ledger.record(recordRequest({ cmid: guid(500 + i) })));
        await new Promise((r) => setTimeout(r, 5));
      }
      expect((await Promise.all(trickle)).map((r) => r.count)).toEqual([121, 122, 123, 124, 125]);
      expect(ledger.stats().batches).toBe(4);
      await ledger.stop();

      const small = env.service(store, { batch: { maxPending: 10 } });
      await small.start();
      const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => small.record(recordRequest({ cmid: guid(1000 + i), nPolicy: 1000 }))));
      expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as LedgerServiceError).code))).toEqual([
        ...Array(10).fill('ok'),
        ...Array(5).fill('KMSG_ERR_LEDGER_OVERLOADED'),
      ]);
    });

    it('a failed commit rejects its whole batch; the service reloads and counts exactly', async () => {
      let failNext = false;
      const { schema, store } = await env.freshSchema();
      const ledger = env.service(store, {
        hooks: {
          beforeCommit: async () => {
            if (failNext) {
              failNext = false;
              throw new Error('injected failure before commit');
            }
          },
        },
      });
      await ledger.start();
      for (let i = 0; i < 5; i++) await ledger.record(recordRequest({ cmid: guid(i) }));
      failNext = true;
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => ledger.record(recordRequest({ cmid: guid(100 + i) }))));
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      const reason = (results[0] as PromiseRejectedResult).reason as LedgerServiceError;
      expect(reason).toBeInstanceOf(LedgerServiceError);
      expect(reason.code).toBe('KMSG_ERR_LEDGER_COMMIT_FAILED');
      expect(await ledger.record(recordRequest({ cmid: guid(100) }))).toEqual({ count: 6, newClient: true });
      expect(ledger.stats()).toMatchObject({ failedBatches: 1, loads: 2 });
      expect(await ledger.record(recordRequest({ cmid: guid(0) }))).toEqual({ count: 6, newClient: false });
      expect(await countEvents(env.db, schema)).toBe(7);
    });
  });

  describe('projections', () => {
    it('rebuilt projections equal the live ones, and the event store holds one event per request', async () => {
      const clock = new ManualClock(day(0));
      const { ledger, schema, store } = await fresh(clock);
      let requests = 0;
      for (let i = 0; i < 120; i++) {
        clock.advance(DAY_MS / 3);
        const spec: RequestSpec = {
          cmid: guid(i % 45),
          ...(i % 7 === 0 ? SERVER : WIN7),
          licenseStatus: i % 7,
          vmInfo: i % 2,
          ...(i % 11 === 0 ? { applicationId: APPLICATIONS.office2010, kmsCountedId: KMS_IDS.office2013 } : {}),
          ...(i % 13 === 0 ? { refused: { hresult: 0xc004f06c, reason: 'time' } } : {}),
          ...(i % 29 === 0 ? { noBody: true, refused: { hresult: 0x8007000d, reason: 'version' } } : {}),
        };
        await ledger.record(recordRequest(spec, clock.now()));
        requests++;
      }
      await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.record(recordRequest({ cmid: guid(200 + (i % 10)) }))));
      requests += 50;
      expect(await countEvents(env.db, schema)).toBe(requests);

      const live = await dumpProjections(env.db, schema);
      expect(await ledger.rebuildProjections()).toBe(requests);
      expect(await dumpProjections(env.db, schema)).toEqual(live);
      // The writer keeps going on the rebuilt tables.
      await ledger.record(recordRequest({ cmid: guid(999) }));
      expect((await store.readStream(`countgroup:${APPLICATIONS.windows}`)).version).toBe(
        (live.count_groups.find((r) => r['application_id'] === APPLICATIONS.windows)?.['stream_version'] as number) + 1,
      );
    });

    it('the tables written batch by batch (deltas merged in SQL) equal a fold of every stored event', async () => {
      const clock = new ManualClock(day(0));
      const { ledger, schema, store } = await fresh(clock);
      for (let round = 0; round < 6; round++) {
        clock.advance(DAY_MS * 2);
        // Concurrent calls: batches of several requests, repeating CMIDs inside one batch too.
        await Promise.all(
          Array.from({ length: 40 }, (_, i) => {
            const n = round * 7 + i;
            const spec: RequestSpec = {
              cmid: guid(n % 23),
              ...(n % 5 === 0 ? SERVER : WIN7),
              licenseStatus: n % 7,
              ...(n % 9 === 0 ? { applicationId: APPLICATIONS.office2010, kmsCountedId: KMS_IDS.office2013 } : {}),
              ...(n % 6 === 0 ? { refused: { hresult: 0xc004f06c, reason: 'time' } } : {}),
            };
            return ledger.record(recordRequest(spec, clock.now()));
          }),
        );
      }
      // Refusals alone in their batch, of CMIDs counted before: the stored last_counted_at must stay.
      for (const c of [1, 2, 3]) await ledger.record(recordRequest({ cmid: guid(c), ...WIN7, refused: { hresult: 0xc004f06c, reason: 'time' } }, clock.now()));
      expect(ledger.stats().batches).toBeLessThan(240);
      const events: StoredCountGroupEvent[] = [];
      for await (const e of store.streamAll()) events.push(toStoredCountGroupEvent(e));
      const fold = <Row>(p: Projection<Row, unknown>, withVersion = false): Row[] => {
        const table = new Map<string, Row>();
        for (const { event, streamVersion } of events) {
          const key = p.keyOf(event);
          if (key === null) continue;
          const k = JSON.stringify(key);
          const next = p.evolve(table.get(k) ?? null, event);
          if (next !== null) table.set(k, withVersion ? { ...next, stream_version: streamVersion } : next);
        }
        return [...table.values()];
      };
      const byKey = (r: { application_id: string; cmid?: string }) => `${r.application_id}/${r.cmid ?? ''}`;
      const sorted = <R extends { application_id: string; cmid?: string }>(rows: R[]) => rows.sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1));
      const tables = await dumpProjections(env.db, schema);
      expect(tables.clients.length).toBeGreaterThan(20);
      expect(sorted(tables.clients.map((r) => clientRowFromDb(r as never)))).toEqual(sorted(fold(clientsProjection)));
      expect(sorted(tables.count_groups.map((r) => countGroupRowFromDb(r as never)))).toEqual(sorted(fold(countsProjection, true)));
      expect(sorted(tables.request_stats.map((r) => requestStatsRowFromDb(r as never)))).toEqual(sorted(fold(requestStatsProjection)));
    });

    it('lists clients with filters and keyset paging', async () => {
      const clock = new ManualClock(day(1));
      const { ledger } = await fresh(clock);
      for (let i = 0; i < 60; i++) {
        clock.advance(60_000);
        await ledger.record(
          recordRequest(
            {
              cmid: guid(i),
              workstationName: i % 3 === 0 ? `LAB-PC${i}` : `office-${i}`,
              clientAddress: i % 4 === 0 ? '198.51.100.7' : `192.0.2.${i}`,
              licenseStatus: i % 2 === 0 ? LICENSE_STATUS.licensed : LICENSE_STATUS.oobGrace,
              ...(i % 10 === 0 ? { applicationId: APPLICATIONS.office2013, kmsCountedId: KMS_IDS.office2013 } : {}),
            },
            clock.now(),
          ),
        );
      }
      const all: LedgerClientDto[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await ledger.listClients({ limit: 7, ...(cursor === undefined ? {} : { cursor }) });
        all.push(...page.clients);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(9);
      expect(new Set(all.map((c) => `${c.applicationId}/${c.cmid}`)).size).toBe(60);
      expect(all.map((c) => c.lastSeenAt)).toEqual([...all.map((c) => c.lastSeenAt)].sort().reverse());

      const windowsPages: LedgerClientDto[] = [];
      cursor = undefined;
      do {
        const page = await ledger.listClients({ applicationId: APPLICATIONS.windows, limit: 20, ...(cursor === undefined ? {} : { cursor }) });
        windowsPages.push(...page.clients);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(windowsPages).toHaveLength(54);

      expect((await ledger.listClients({ workstation: 'lab-pc' })).clients).toHaveLength(20);
      expect((await ledger.listClients({ workstation: 'LAB-PC1' })).clients.map((c) => c.workstationName).sort()).toEqual(['LAB-PC12', 'LAB-PC15', 'LAB-PC18']);
      expect((await ledger.listClients({ workstation: '%' })).clients).toHaveLength(0);
      expect((await ledger.listClients({ address: '198.51.100.7' })).clients).toHaveLength(15);
      expect((await ledger.listClients({ licenseStatus: LICENSE_STATUS.licensed, applicationId: APPLICATIONS.office2013 })).clients).toHaveLength(6);
      const since = new Date(day(1).getTime() + 51 * 60_000).toISOString();
      expect((await ledger.listClients({ seenSince: since })).clients.map((c) => c.cmid)).toEqual([59, 58, 57, 56, 55, 54, 53, 52, 51, 50].map((i) => guid(i)));
      expect((await ledger.listClients({ seenSince: since }))).not.toHaveProperty('nextCursor');
      await expect(ledger.listClients({ cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_BAD_CURSOR' });
      await expect(ledger.listClients({ limit: 501 })).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_BAD_REQUEST' });
    });

    it('status counts the window at query time from Postgres, on a replica that is not the writer', async () => {
      const clock = new ManualClock(day(1));
      const { ledger, store } = await fresh(clock);
      for (let i = 0; i < 4; i++) await ledger.record(recordRequest({ cmid: guid(i), ...SERVER }));
      const reader = env.service(store, { clock: clock.now });
      expect(reader.isLeader()).toBe(false);
      expect((await reader.status()).applications[0]).toMatchObject({ activeClients: 4, reportedCount: 4, thresholdStatus: 'below', highestNPolicy: 5 });
      await expect(reader.record(recordRequest({ cmid: guid(9) }))).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_NOT_LEADER' });
      clock.advance(COUNT_WINDOW_MS);
      expect((await reader.status()).applications[0]).toMatchObject({ activeClients: 0, reportedCount: 0 });
    });

    it('rejects a malformed request with BAD_REQUEST without touching the batch', async () => {
      const { ledger } = await fresh();
      const bad = { ...recordRequest({ cmid: guid(1) }), decision: { kind: 'count' } } as never;
      const [r1, r2] = await Promise.allSettled([ledger.record(bad), ledger.record(recordRequest({ cmid: guid(2) }))]);
      expect(r1).toMatchObject({ status: 'rejected', reason: { code: 'KMSG_ERR_LEDGER_BAD_REQUEST' } });
      expect(r2).toMatchObject({ status: 'fulfilled', value: { count: 1 } });
      const noBody = recordRequest({ cmid: guid(3), noBody: true });
      await expect(ledger.record(noBody)).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_COUNT_WITHOUT_REQUEST' });
    });
  });
}
