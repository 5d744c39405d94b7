/* eslint-disable @typescript-eslint/no-explicit-any -- kysely migrations are written against Kysely<any> (schema-agnostic by design) */
import { sql, type Kysely } from 'kysely';

/** The checkpoint (in `checkpoints`) holding the last global position the outbox relay published. */
export const RELAY_CHECKPOINT = 'outbox-relay';

/**
 * Replaces the `outbox` table by a checkpoint on the event log (ADR 0003):
 * global positions become visible strictly in order (the append lock), so
 * "every event after position p" is exactly what is left to publish, and the
 * relay keeps p in one row instead of inserting and updating a row per event.
 * An existing outbox hands over its first unpublished position.
 */
export async function up(db: Kysely<any>, schema: string): Promise<void> {
  const outbox = sql.raw(`${schema}.outbox`);
  const events = sql.raw(`${schema}.events`);
  await sql`
    insert into ${sql.raw(`${schema}.checkpoints`)} (name, position)
    select ${RELAY_CHECKPOINT}, coalesce(
      (select min(global_position) - 1 from ${outbox} where published_at is null),
      (select max(global_position) from ${events}),
      0)
    on conflict (name) do nothing`.execute(db);
  await db.schema.dropTable('outbox').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('global_position', 'bigint', (c) => c.primaryKey().references('events.global_position'))
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .execute();
}
