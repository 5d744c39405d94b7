import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@kmsgrid/config';
import { snapshot, type CountGroupSnapshot } from '@kmsgrid/ledger-domain';
import { loadCountGroups } from './restore.js';
import type { LedgerDatabase } from './schema/ledger-tables.js';
import { LedgerTestEnv, embeddedPglite, realPostgres } from './testing/backends.js';
import { ManualClock, SERVER, day, guid, recordRequest } from './testing/fixtures.js';
import type { Kysely } from 'kysely';

const envs: LedgerTestEnv[] = [];
afterAll(async () => {
  for (const env of envs) await env.close();
});

const byCmid = (s: CountGroupSnapshot) => ({ ...s, active: [...s.active].sort((a, b) => a.cmid.localeCompare(b.cmid)) });

describe.each([
  ['Postgres', realPostgres],
  ['embedded PGlite', embeddedPglite],
] as const)('loadCountGroups on %s', (_name, backend) => {
  it('reads the count window in pages, ties on last_counted_at included, as in one page', { timeout: 60_000 }, async () => {
    const env = await LedgerTestEnv.open(await backend());
    envs.push(env);
    const { schema, store } = await env.freshSchema();
    const clock = new ManualClock(day(10));
    const ledger = env.service(store, { clock: clock.now });
    await ledger.start();
    // 27 machines of the Windows count group (clients and servers count together), 15 of them at one instant.
    await Promise.all(Array.from({ length: 15 }, (_, i) => ledger.record(recordRequest({ cmid: guid(i) }, clock.now()))));
    clock.advance(60_000);
    for (let i = 15; i < 23; i++) await ledger.record(recordRequest({ cmid: guid(i) }, clock.now()));
    for (let i = 0; i < 4; i++) await ledger.record(recordRequest({ cmid: guid(100 + i), ...SERVER }, clock.now()));
    await ledger.stop();

    const db = env.db.withSchema(schema) as unknown as Kysely<LedgerDatabase>;
    const load = async (windowPage: number) => {
      const { states } = await loadCountGroups({ db, store, log: silentLogger, windowPage });
      return [...states.values()].map((s) => byCmid(snapshot(s))).sort((a, b) => String(a.applicationId).localeCompare(String(b.applicationId)));
    };
    const whole = await load(1000);
    expect(whole.map((s) => s.active.length)).toEqual([27]);
    for (const page of [1, 3, 7, 27]) expect(await load(page)).toEqual(whole);
  });
});
