import type { ColumnType, Generated } from 'kysely';

// Row types of the event-store tables (the SQL shape; see mappers.ts for the
// domain shape). pg returns int8 as a decimal string and jsonb parsed; jsonb
// is written as JSON text so arrays are not taken for Postgres arrays.

export interface EventsTable {
  global_position: ColumnType<string, never, never>;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: ColumnType<unknown, string, never>;
  metadata: ColumnType<Record<string, unknown>, string, never>;
  recorded_at: ColumnType<Date, never, never>;
}

export interface StreamsTable {
  stream_id: string;
  version: number;
  updated_at: Generated<Date>;
}

export interface CheckpointsTable {
  name: string;
  position: ColumnType<string, string | undefined, string>;
  updated_at: Generated<Date>;
}

/** The event store's tables, unqualified (queries run `withSchema(schema)`). */
export interface EventStoreTables {
  events: EventsTable;
  streams: StreamsTable;
  checkpoints: CheckpointsTable;
}

/** The event store's tables whose rows are updated in place (events are only ever inserted): what needs VACUUM. */
export const EVENT_STORE_UPDATED_TABLES = ['streams', 'checkpoints'] as const satisfies readonly (keyof EventStoreTables)[];
