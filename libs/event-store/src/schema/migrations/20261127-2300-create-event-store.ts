/* eslint-disable @typescript-eslint/no-explicit-any -- kysely migrations are written against Kysely<any> (schema-agnostic by design) */
import { sql, type Kysely } from 'kysely';

// Written against Kysely<any> and run through a WithSchema plugin, so table
// names stay unqualified here and land in the configured schema.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('global_position', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('stream_id', 'text', (c) => c.notNull())
    .addColumn('stream_version', 'integer', (c) => c.notNull().check(sql`stream_version >= 1`))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('events_event_id_uq', ['event_id'])
    .addUniqueConstraint('events_stream_version_uq', ['stream_id', 'stream_version'])
    .execute();

  await db.schema
    .createTable('streams')
    .addColumn('stream_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('global_position', 'bigint', (c) => c.primaryKey().references('events.global_position'))
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .execute();
  // The relay only ever scans unpublished rows.
  await db.schema
    .createIndex('outbox_unpublished_idx')
    .on('outbox')
    .column('global_position')
    .where(sql.ref('published_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('checkpoints')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('checkpoints').execute();
  await db.schema.dropTable('outbox').execute();
  await db.schema.dropTable('streams').execute();
  await db.schema.dropTable('events').execute();
}
