import { sql, type Insertable, type Kysely, type QueryCreator, type RawBuilder } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import {
  clientsProjection,
  countsProjection,
  requestStatsProjection,
  type ClientRow,
  type CountGroupEvent,
  type RequestStatsRow,
} from '@kmsgrid/ledger-domain';
import type { ClientsTable } from './schema/clients.table.js';
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

type Db = Kysely<LedgerTables>;
type Upsert = (db: QueryCreator<LedgerTables>) => { execute(): Promise<unknown> };

/**
 * Applies events to the three projections through `db` (a transaction bound
 * to the ledger's schema): loads the rows the events touch, folds the events
 * with ledger-domain's projection `evolve` functions in order, and upserts
 * each touched row once. Live batches and the rebuild both go through here,
 * which is why a rebuild equals the live tables.
 */
export async function applyToProjections(db: Db, events: readonly StoredCountGroupEvent[]): Promise<void> {
  if (events.length === 0) return;
  // Two statements per batch (one read, one write with data-modifying CTEs):
  // in the group commit each statement's round trip costs more than its SQL.
  const clientKeys = new Map<string, readonly [string, string]>();
  for (const { event } of events) {
    const k = clientsProjection.keyOf(event);
    if (k !== null) clientKeys.set(`${k.applicationId}/${k.cmid}`, [k.applicationId, k.cmid]);
  }
  const ids = [...new Set(events.map((e) => e.event.data.applicationId))];
  const keyChunks = chunks([...clientKeys.values()]);
  const loaded = await loadRows(db, ids, keyChunks[0] ?? []);
  for (const part of keyChunks.slice(1)) loaded.clients.push(...(await selectClients(db, part).execute()));

  const clients = new Map<string, ClientRow>(loaded.clients.map((r) => [`${r.application_id}/${r.cmid}`, clientRowFromDb(r)]));
  const groups = new Map<string, CountGroupRecord>(loaded.groups.map((r) => [r.application_id, countGroupRowFromDb(r)]));
  const stats = new Map<string, RequestStatsRow>(loaded.stats.map((r) => [r.application_id, requestStatsRowFromDb(r)]));
  const changedClients = new Set<string>();
  for (const { event, streamVersion } of events) {
    const k = clientsProjection.keyOf(event);
    if (k !== null) {
      const key = `${k.applicationId}/${k.cmid}`;
      const next = clientsProjection.evolve(clients.get(key) ?? null, event);
      if (next !== null) {
        clients.set(key, next);
        changedClients.add(key);
      }
    }
    const g = countsProjection.evolve(groups.get(event.data.applicationId) ?? null, event);
    if (g !== null) groups.set(g.application_id, { ...g, stream_version: streamVersion });
    const r = requestStatsProjection.evolve(stats.get(event.data.applicationId) ?? null, event);
    if (r !== null) stats.set(r.application_id, r);
  }

  const clientParts = chunks([...changedClients].map((k) => clientRowToDb(clients.get(k) as ClientRow)));
  const groupRows = ids.flatMap((id) => {
    const r = groups.get(id);
    return r === undefined ? [] : [countGroupRowToDb(r)];
  });
  const statsRows = ids.flatMap((id) => {
    const r = stats.get(id);
    return r === undefined ? [] : [requestStatsRowToDb(r)];
  });
  for (const part of clientParts.slice(1)) await upsertClients(db, part).execute();
  const upserts: Upsert[] = [];
  const first = clientParts[0];
  if (first !== undefined) upserts.push((q) => upsertClients(q, first));
  if (groupRows.length > 0) {
    upserts.push((q) =>
      q
        .insertInto('count_groups')
        .values(groupRows)
        .onConflict((oc) => oc.column('application_id').doUpdateSet(setFromExcluded(COUNT_GROUP_COLUMNS)))
        .returning('application_id'),
    );
  }
  if (statsRows.length > 0) {
    upserts.push((q) =>
      q
        .insertInto('request_stats')
        .values(statsRows)
        .onConflict((oc) => oc.column('application_id').doUpdateSet(setFromExcluded(REQUEST_STATS_COLUMNS)))
        .returning('application_id'),
    );
  }
  const last = upserts.pop();
  if (last === undefined) return;
  let q: QueryCreator<LedgerTables> = db;
  upserts.forEach((u, i) => {
    q = q.with(`u${i}`, (c) => u(c as QueryCreator<LedgerTables>) as never) as unknown as QueryCreator<LedgerTables>;
  });
  await last(q).execute();
}

function upsertClients(q: QueryCreator<LedgerTables>, rows: readonly Insertable<ClientsTable>[]) {
  return q
    .insertInto('clients')
    .values(rows)
    .onConflict((oc) => oc.columns(['application_id', 'cmid']).doUpdateSet(setFromExcluded(CLIENT_COLUMNS)))
    .returning('cmid');
}

function selectClients(q: QueryCreator<LedgerTables>, keys: readonly (readonly [string, string])[]) {
  const all = q.selectFrom('clients').selectAll();
  if (keys.length === 0) return all.where(sql<boolean>`false`);
  return all.where((eb) => eb(eb.refTuple('application_id', 'cmid'), 'in', keys.map(([a, c]) => eb.tuple(a, c))));
}

// json_agg turns timestamptz into ISO strings; the mappers take the pg shape (Date).
const toDate = (v: unknown): Date => new Date(v as string);
const toDateOrNull = (v: unknown): Date | null => (v === null ? null : toDate(v));

async function loadRows(db: Db, ids: readonly string[], keys: readonly (readonly [string, string])[]) {
  const row = await db
    .selectNoFrom((eb) => [
      jsonArrayFrom(selectClients(db, keys)).as('clients'),
      jsonArrayFrom(eb.selectFrom('count_groups').selectAll().where('application_id', 'in', ids)).as('groups'),
      jsonArrayFrom(eb.selectFrom('request_stats').selectAll().where('application_id', 'in', ids)).as('stats'),
    ])
    .executeTakeFirstOrThrow();
  return {
    clients: row.clients.map((r) => ({ ...r, first_seen_at: toDate(r.first_seen_at), last_seen_at: toDate(r.last_seen_at), last_counted_at: toDateOrNull(r.last_counted_at) })),
    groups: row.groups.map((r) => ({ ...r, updated_at: toDate(r.updated_at) })),
    stats: row.stats.map((r) => ({ ...r, updated_at: toDate(r.updated_at) })),
  };
}

/** Empties the projection tables (rebuild). */
export async function truncateProjections(db: Kysely<LedgerTables>, schema: string): Promise<void> {
  await sql`truncate table ${sql.table(`${schema}.clients`)}, ${sql.table(`${schema}.count_groups`)}, ${sql.table(`${schema}.request_stats`)}`.execute(db);
}
