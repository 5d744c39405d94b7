import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  clientsProjection,
  countsProjection,
  requestStatsProjection,
  type ClientRow,
  type CountGroupEvent,
  type RequestStatsRow,
} from '@kmsgrid/ledger-domain';
import type { LedgerTables } from './schema/ledger-tables.js';
import {
  clientRowFromDb,
  clientRowToDb,
  countGroupRowFromDb,
  countGroupRowToDb,
  requestStatsRowFromDb,
  requestStatsRowToDb,
  type CountGroupRecord,
} from './schema/mappers.js';

/** A count group event with its version in its stream, as appended. */
export type StoredCountGroupEvent = Readonly<{ event: CountGroupEvent; streamVersion: number }>;

// 23 columns x 1000 rows stays well below Postgres' 65535 bind parameters.
const CHUNK = 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** `SET col = excluded.col` for every column (the row was folded in memory from the stored one). */
function setFromExcluded<Col extends string>(columns: readonly Col[]): Record<Col, RawBuilder<never>> {
  return Object.fromEntries(columns.map((c) => [c, sql.ref<never>(`excluded.${c}`)])) as Record<Col, RawBuilder<never>>;
}

const CLIENT_COLUMNS = [
  'first_seen_at',
  'last_seen_at',
  'last_counted_at',
  'workstation_name',
  'client_address',
  'kms_counted_id',
  'sku_id',
  'license_status',
  'binding_expiration_minutes',
  'is_virtual_machine',
  'previous_cmid',
  'n_policy',
  'protocol_version',
  'rpc_syntax',
  'request_count',
  'refused_count',
  'last_outcome',
  'last_hresult',
  'last_reported_count',
  'last_request_id',
] as const satisfies readonly (keyof ClientRow)[];

const COUNT_GROUP_COLUMNS = [
  'active_clients',
  'reported_count',
  'highest_n_policy',
  'lowest_n_policy',
  'threshold_status',
  'updated_at',
  'last_request_id',
  'stream_version',
] as const satisfies readonly (keyof CountGroupRecord)[];

const REQUEST_STATS_COLUMNS = [
  'total_requests',
  'failed_requests',
  'unlicensed_requests',
  'licensed_requests',
  'oob_grace_requests',
  'oot_grace_requests',
  'non_genuine_grace_requests',
  'notification_requests',
  'extended_grace_requests',
  'updated_at',
] as const satisfies readonly (keyof RequestStatsRow)[];

/**
 * Applies events to the three projections through `db` (a transaction bound
 * to the ledger's schema): loads the rows the events touch, folds the events
 * with ledger-domain's projection `evolve` functions in order, and upserts
 * each touched row once. Live batches and the rebuild both go through here,
 * which is why a rebuild equals the live tables.
 */
export async function applyToProjections(db: Kysely<LedgerTables>, events: readonly StoredCountGroupEvent[]): Promise<void> {
  if (events.length === 0) return;
  await applyClients(db, events);
  await applyCountGroups(db, events);
  await applyRequestStats(db, events);
}

async function applyClients(db: Kysely<LedgerTables>, events: readonly StoredCountGroupEvent[]): Promise<void> {
  const keys = new Map<string, readonly [string, string]>();
  for (const { event } of events) {
    const k = clientsProjection.keyOf(event);
    if (k !== null) keys.set(`${k.applicationId}/${k.cmid}`, [k.applicationId, k.cmid]);
  }
  if (keys.size === 0) return;
  const rows = new Map<string, ClientRow>();
  for (const part of chunks([...keys.values()])) {
    const found = await db
      .selectFrom('clients')
      .selectAll()
      .where((eb) => eb(eb.refTuple('application_id', 'cmid'), 'in', part.map(([a, c]) => eb.tuple(a, c))))
      .execute();
    for (const r of found) rows.set(`${r.application_id}/${r.cmid}`, clientRowFromDb(r));
  }
  const changed = new Set<string>();
  for (const { event } of events) {
    const k = clientsProjection.keyOf(event);
    if (k === null) continue;
    const key = `${k.applicationId}/${k.cmid}`;
    const next = clientsProjection.evolve(rows.get(key) ?? null, event);
    if (next !== null) {
      rows.set(key, next);
      changed.add(key);
    }
  }
  const upserts = [...changed].map((k) => clientRowToDb(rows.get(k) as ClientRow));
  for (const part of chunks(upserts)) {
    await db
      .insertInto('clients')
      .values(part)
      .onConflict((oc) => oc.columns(['application_id', 'cmid']).doUpdateSet(setFromExcluded(CLIENT_COLUMNS)))
      .execute();
  }
}

async function applyCountGroups(db: Kysely<LedgerTables>, events: readonly StoredCountGroupEvent[]): Promise<void> {
  const ids = [...new Set(events.map((e) => e.event.data.applicationId))];
  const found = await db.selectFrom('count_groups').selectAll().where('application_id', 'in', ids).execute();
  const rows = new Map<string, CountGroupRecord>(found.map((r) => [r.application_id, countGroupRowFromDb(r)]));
  for (const { event, streamVersion } of events) {
    const next = countsProjection.evolve(rows.get(event.data.applicationId) ?? null, event);
    if (next !== null) rows.set(next.application_id, { ...next, stream_version: streamVersion });
  }
  const upserts = ids.flatMap((id) => {
    const r = rows.get(id);
    return r === undefined ? [] : [countGroupRowToDb(r)];
  });
  if (upserts.length === 0) return;
  await db
    .insertInto('count_groups')
    .values(upserts)
    .onConflict((oc) => oc.column('application_id').doUpdateSet(setFromExcluded(COUNT_GROUP_COLUMNS)))
    .execute();
}

async function applyRequestStats(db: Kysely<LedgerTables>, events: readonly StoredCountGroupEvent[]): Promise<void> {
  const ids = [...new Set(events.map((e) => e.event.data.applicationId))];
  const found = await db.selectFrom('request_stats').selectAll().where('application_id', 'in', ids).execute();
  const rows = new Map<string, RequestStatsRow>(found.map((r) => [r.application_id, requestStatsRowFromDb(r)]));
  for (const { event } of events) {
    const next = requestStatsProjection.evolve(rows.get(event.data.applicationId) ?? null, event);
    if (next !== null) rows.set(next.application_id, next);
  }
  const upserts = ids.flatMap((id) => {
    const r = rows.get(id);
    return r === undefined ? [] : [requestStatsRowToDb(r)];
  });
  if (upserts.length === 0) return;
  await db
    .insertInto('request_stats')
    .values(upserts)
    .onConflict((oc) => oc.column('application_id').doUpdateSet(setFromExcluded(REQUEST_STATS_COLUMNS)))
    .execute();
}

/** Empties the projection tables (rebuild). */
export async function truncateProjections(db: Kysely<LedgerTables>, schema: string): Promise<void> {
  await sql`truncate table ${sql.table(`${schema}.clients`)}, ${sql.table(`${schema}.count_groups`)}, ${sql.table(`${schema}.request_stats`)}`.execute(db);
}
