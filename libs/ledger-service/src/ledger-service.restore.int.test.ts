import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATIONS, countGroupStreamId } from '@kmsgrid/ledger-domain';
import { LedgerTestEnv, realPostgres } from './testing/backends.js';
import { DAY_MS, ManualClock, day, guid, recordRequest } from './testing/fixtures.js';

// Restore at start with a large audit ledger: 1,000,000 clients rows of which
// 100,000 are in the 30-day window. Filling the table dominates the run time,
// so the secondary indexes are dropped during the bulk insert and rebuilt from
// their own definitions afterwards (the schema stays exactly as migrated).

let env: LedgerTestEnv;
beforeAll(async () => {
  env = await LedgerTestEnv.open(await realPostgres());
});
afterAll(async () => {
  await env?.close();
});

describe('restore at start', () => {
  it('loads only the 30-day window from 1,000,000 clients rows, fast', { timeout: 300_000 }, async () => {
    const { schema, store } = await env.freshSchema();
    const now = day(400);
    const clients = sql.table(`${schema}.clients`);
    const { rows: indexes } = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where schemaname = ${schema} and tablename = 'clients' and indexname <> 'clients_pkey'`.execute(env.db);
    expect(indexes.map((i) => i.indexname)).toContain('clients_window_idx');
    for (const i of indexes) await sql`drop index ${sql.id(schema, i.indexname)}`.execute(env.db);
    // 900,000 clients last counted 31..330 days ago, 100,000 within the last 29 days.
    await sql`
      insert into ${clients} (application_id, cmid, first_seen_at, last_seen_at, last_counted_at, workstation_name, client_address,
        kms_counted_id, sku_id, license_status, binding_expiration_minutes, is_virtual_machine, previous_cmid, n_policy,
        protocol_version, rpc_syntax, request_count, refused_count, last_outcome, last_hresult, last_reported_count, last_request_id)
      select ${APPLICATIONS.windows}::uuid, md5(i::text)::uuid, t, t, t, 'pc-' || i, '192.0.2.1',
        '7fde5219-fbfa-484a-82c9-34d1ad53e856', 'ae2ee509-1b34-41c0-acb7-6d4650168915', 1, 43200, false,
        '00000000-0000-0000-0000-000000000000', 25, '6.0', 'ndr64', 1, 0, 'counted', 0, 50, md5('r' || i)::uuid
      from (
        select i, ${now}::timestamptz - case when i <= 900000 then (31 + i % 300) * interval '1 day' else (i % 29) * interval '1 day' + interval '1 hour' end as t
        from generate_series(1, 1000000) as i
      ) s
      order by 2`.execute(env.db);
    for (const i of indexes) await sql.raw(i.indexdef).execute(env.db);
    await sql`analyze ${clients}`.execute(env.db);
    await sql`insert into ${sql.table(`${schema}.streams`)} (stream_id, version) values (${countGroupStreamId(APPLICATIONS.windows)}, 1000000)`.execute(env.db);
    await sql`
      insert into ${sql.table(`${schema}.count_groups`)} (application_id, active_clients, reported_count, highest_n_policy, lowest_n_policy,
        threshold_status, updated_at, last_request_id, stream_version)
      values (${APPLICATIONS.windows}, 100000, 50, 25, 25, 'met', ${new Date(now.getTime() - 60_000)}, ${randomUUID()}, 1000000)`.execute(env.db);

    const clock = new ManualClock(now);
    const ledger = env.service(store, { clock: clock.now });
    const t0 = performance.now();
    await ledger.start();
    const elapsed = performance.now() - t0;
    console.info(`restore of a 100,000-CMID window among 1,000,000 clients rows: ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(5000);
    // The 100,001st client is counted (the reply is capped at 2 x 25).
    expect(await ledger.record(recordRequest({ cmid: guid(1) }, now))).toEqual({ count: 50, newClient: true });
    expect((await ledger.status()).applications[0]).toMatchObject({ activeClients: 100_001 });
    // Day by day the oldest of the window leave it.
    clock.advance(2 * DAY_MS);
    const later = (await ledger.status()).applications[0]?.activeClients ?? 0;
    expect(later).toBeLessThan(100_001);
    expect(later).toBeGreaterThan(90_000);
  });
});
