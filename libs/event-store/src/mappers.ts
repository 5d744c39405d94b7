import type { Selectable } from 'kysely';
import type { EventMetadata, RecordedEvent } from './events.js';
import type { EventsTable } from './schema/tables.js';

/** Maps an `events` row to the domain shape (int8 string -> bigint). */
export function eventRowToRecorded(row: Selectable<EventsTable>): RecordedEvent {
  return {
    type: row.type,
    data: row.data,
    metadata: (row.metadata ?? {}) as EventMetadata,
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: BigInt(row.global_position),
    recordedAt: row.recorded_at,
  };
}
