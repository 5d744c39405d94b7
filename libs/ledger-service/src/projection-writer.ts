import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  clientsProjection,
  countsProjection,
  requestStatsProjection,
  LICENSE_STATUS_COLUMNS,
  type ClientRow,
  type CountGroupEvent,
  type RequestStatsRow,
} from '@kmsgrid/ledger-domain';
import type { LedgerTables } from './schema/ledger-tables.js';
import { clientRowToDb, countGroupRowToDb, requestStatsRowToDb, type CountGroupRecord } from './schema/mappers.js';

/** A count group event with its version in its stream, as appended. */
export type StoredCountGroupEvent = Readonly<{ event: CountGroupEvent; streamVersion: number }>;

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

/** The counters of `request_stats`: they add up when a delta is merged. */
const REQUEST_STATS_COUNTERS = ['total_requests', 'failed_requests', ...LICENSE_STATUS_COLUMNS] as const satisfies readonly (keyof RequestStatsRow)[];

/** One of the three projections: its table, key and how SQL merges a delta row into the stored one. */
type TableSpec = Readonly<{ table: string; key: readonly string[]; set: readonly string[] }>;

/** `col = excluded.col`: the delta's value replaces the stored one. */
const replaced = (cols: readonly string[]) => cols.map((c) => `${c} = excluded.${c}`);
/** `col = t.col + excluded.col`: counters add up. */
const added = (cols: readonly string[]) => cols.map((c) => `${c} = t.${c} + excluded.${c}`);

// These SET lists are Projection.merge of ledger-domain in SQL (the `t` row is the stored one);
// ledger-service's batch test checks them against a fold of every event.
const REPLACED_CLIENT_COLUMNS = CLIENT_COLUMNS.filter((c) => !['first_seen_at', 'last_counted_at', 'request_count', 'refused_count'].includes(c));
const CLIENTS: TableSpec = {
  table: 'clients',
  key: ['application_id', 'cmid'],
  set: [...replaced(REPLACED_CLIENT_COLUMNS), 'last_counted_at = coalesce(excluded.last_counted_at, t.last_counted_at)', ...added(['request_count', 'refused_count'])],
};
const LOWEST = 'least(t.lowest_n_policy, excluded.lowest_n_policy)';
const HIGHEST = 'greatest(t.highest_n_policy, excluded.highest_n_policy)';
const COUNT_GROUPS: TableSpec = {
  table: 'count_groups',
  key: ['application_id'],
  set: [
    ...replaced(COUNT_GROUP_COLUMNS.filter((c) => !['lowest_n_policy', 'highest_n_policy', 'threshold_status'].includes(c))),
    `lowest_n_policy = ${LOWEST}`,
    `highest_n_policy = ${HIGHEST}`,
    // thresholdStatus(reported, lowest, highest) of the merged N-policies.
    `threshold_status = case when ${LOWEST} is null or ${HIGHEST} is null or excluded.reported_count < ${LOWEST} then 'below' when excluded.reported_count >= ${HIGHEST} then 'met' else 'partial' end`,
  ],
};
const REQUEST_STATS: TableSpec = {
  table: 'request_stats',
  key: ['application_id'],
  set: [...added(REQUEST_STATS_COUNTERS), 'updated_at = excluded.updated_at'],
};

/** `insert ... select from jsonb rows ... on conflict do update` of one projection, the rows as one jsonb parameter. */
function upsert(schema: string, spec: TableSpec, rows: readonly object[]): RawBuilder<unknown> {
  const table = sql.raw(`${schema}.${spec.table}`);
  return sql`insert into ${table} as t select * from jsonb_populate_recordset(null::${table}, ${JSON.stringify(rows)}::jsonb)
    on conflict (${sql.raw(spec.key.join(', '))}) do update set ${sql.raw(spec.set.join(', '))}`;
}

/**
 * The projection writes of a batch of count group events (in stream order),
 * without reading a row: each touched row is folded from null over the
 * batch with ledger-domain's `evolve` (a delta) and the upsert merges it
 * into the stored row in SQL, as `Projection.merge` does. Three statements
 * at most, meant to run beside the events' append (EventStore.appendBatch's
 * `alongside`) so they commit together in one round trip.
 */
export function projectionUpserts(schema: string, events: readonly StoredCountGroupEvent[]): RawBuilder<unknown>[] {
  const clients = new Map<string, ClientRow>();
  const groups = new Map<string, CountGroupRecord>();
  const stats = new Map<string, RequestStatsRow>();
  for (const { event, streamVersion } of events) {
    const k = clientsProjection.keyOf(event);
    if (k !== null) {
      const key = `${k.applicationId}/${k.cmid}`;
      const next = clientsProjection.evolve(clients.get(key) ?? null, event);
      if (next !== null) clients.set(key, next);
    }
    const id = event.data.applicationId;
    const g = countsProjection.evolve(groups.get(id) ?? null, event);
    if (g !== null) groups.set(id, { ...g, stream_version: streamVersion });
    const r = requestStatsProjection.evolve(stats.get(id) ?? null, event);
    if (r !== null) stats.set(id, r);
  }
  const out: RawBuilder<unknown>[] = [];
  if (clients.size > 0) out.push(upsert(schema, CLIENTS, [...clients.values()].map(clientRowToDb)));
  if (groups.size > 0) out.push(upsert(schema, COUNT_GROUPS, [...groups.values()].map(countGroupRowToDb)));
  if (stats.size > 0) out.push(upsert(schema, REQUEST_STATS, [...stats.values()].map(requestStatsRowToDb)));
  return out;
}

/**
 * Applies events to the three projections through `db` in one statement (the
 * rebuild and the catch-up at restore; live batches pass
 * {@link projectionUpserts} to the append instead). Same folding and merging
 * as the live path, which is why a rebuild equals the live tables.
 */
export async function applyToProjections(db: Kysely<unknown>, schema: string, events: readonly StoredCountGroupEvent[]): Promise<void> {
  const upserts = projectionUpserts(schema, events);
  if (upserts.length === 0) return;
  const ctes = upserts.map((u, i) => sql`${sql.raw(i === 0 ? 'with' : ',')} ${sql.id(`p${i}`)} as (${u})`);
  await sql`${sql.join(ctes, sql` `)} select 1`.execute(db);
}

/** Empties the projection tables (rebuild). */
export async function truncateProjections(db: Kysely<LedgerTables>, schema: string): Promise<void> {
  await sql`truncate table ${sql.table(`${schema}.clients`)}, ${sql.table(`${schema}.count_groups`)}, ${sql.table(`${schema}.request_stats`)}`.execute(db);
}
