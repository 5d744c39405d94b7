/* eslint-disable @typescript-eslint/no-explicit-any -- kysely migrations are written against Kysely<any> (schema-agnostic by design) */
import { sql, type Kysely } from 'kysely';

// Run through a WithSchema plugin: table names stay unqualified and land in
// the event store's schema, next to `events`.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('clients')
    .addColumn('application_id', 'uuid', (c) => c.notNull())
    .addColumn('cmid', 'uuid', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_counted_at', 'timestamptz')
    .addColumn('workstation_name', 'text', (c) => c.notNull())
    .addColumn('client_address', 'text', (c) => c.notNull())
    .addColumn('kms_counted_id', 'uuid', (c) => c.notNull())
    .addColumn('sku_id', 'uuid', (c) => c.notNull())
    .addColumn('license_status', 'int8', (c) => c.notNull())
    .addColumn('binding_expiration_minutes', 'int8', (c) => c.notNull())
    .addColumn('is_virtual_machine', 'boolean', (c) => c.notNull())
    .addColumn('previous_cmid', 'uuid', (c) => c.notNull())
    .addColumn('n_policy', 'int8', (c) => c.notNull())
    .addColumn('protocol_version', 'text', (c) => c.notNull())
    .addColumn('rpc_syntax', 'text', (c) => c.notNull())
    .addColumn('request_count', 'int8', (c) => c.notNull())
    .addColumn('refused_count', 'int8', (c) => c.notNull())
    .addColumn('last_outcome', 'text', (c) => c.notNull())
    .addColumn('last_hresult', 'int8', (c) => c.notNull())
    .addColumn('last_reported_count', 'integer', (c) => c.notNull())
    .addColumn('last_request_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('clients_pkey', ['application_id', 'cmid'])
    .addCheckConstraint('clients_last_outcome_ck', sql`last_outcome in ('counted', 'renewed', 'refused')`)
    .addCheckConstraint('clients_rpc_syntax_ck', sql`rpc_syntax in ('ndr32', 'ndr64')`)
    .execute();
  // Restoring a count window: application_id = $1 and last_counted_at > $cutoff, index-only (cmid is in the key).
  await db.schema.createIndex('clients_window_idx').on('clients').columns(['application_id', 'last_counted_at', 'cmid']).execute();
  // Listing one application newest first (keyset on last_seen_at, cmid) and the recent request ids at restore.
  await db.schema.createIndex('clients_app_seen_idx').on('clients').columns(['application_id', 'last_seen_at', 'cmid']).execute();
  // Listing all applications newest first (keyset on last_seen_at, application_id, cmid).
  await db.schema.createIndex('clients_seen_idx').on('clients').columns(['last_seen_at', 'application_id', 'cmid']).execute();
  // Workstation prefix search, case-insensitive: lower(workstation_name) like 'pc-12%'.
  await db.schema.createIndex('clients_workstation_idx').on('clients').expression(sql`lower(workstation_name) text_pattern_ops`).execute();
  await db.schema.createIndex('clients_address_idx').on('clients').columns(['client_address', 'last_seen_at']).execute();
  await db.schema.createIndex('clients_license_status_idx').on('clients').columns(['license_status', 'last_seen_at']).execute();

  await db.schema
    .createTable('count_groups')
    .addColumn('application_id', 'uuid', (c) => c.primaryKey())
    .addColumn('active_clients', 'integer', (c) => c.notNull())
    .addColumn('reported_count', 'integer', (c) => c.notNull())
    .addColumn('highest_n_policy', 'int8')
    .addColumn('lowest_n_policy', 'int8')
    .addColumn('threshold_status', 'text', (c) => c.notNull().check(sql`threshold_status in ('below', 'partial', 'met')`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_request_id', 'uuid', (c) => c.notNull())
    .addColumn('stream_version', 'integer', (c) => c.notNull().check(sql`stream_version >= 1`))
    .execute();

  let stats = db.schema.createTable('request_stats').addColumn('application_id', 'uuid', (c) => c.primaryKey());
  for (const column of [
    'total_requests',
    'failed_requests',
    'unlicensed_requests',
    'licensed_requests',
    'oob_grace_requests',
    'oot_grace_requests',
    'non_genuine_grace_requests',
    'notification_requests',
    'extended_grace_requests',
  ]) {
    stats = stats.addColumn(column, 'int8', (c) => c.notNull().defaultTo(0));
  }
  await stats.addColumn('updated_at', 'timestamptz', (c) => c.notNull()).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('request_stats').execute();
  await db.schema.dropTable('count_groups').execute();
  await db.schema.dropTable('clients').execute();
}
