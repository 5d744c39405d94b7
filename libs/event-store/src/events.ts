import { EventStoreError, type ExpectedVersion } from './errors.js';

/**
 * Metadata stored with every event and forwarded as message headers by the
 * outbox relay. Free-form keys are kept as given.
 */
export type EventMetadata = Readonly<{
  /** Correlation id of the request that caused the event (header `kmsgrid-correlation-id`). */
  correlationId?: string;
  /** Id of the message or event that caused this one (header `kmsgrid-causation-id`). */
  causationId?: string;
  /** W3C trace context of the appending span. */
  traceparent?: string;
  tracestate?: string;
  [key: string]: unknown;
}>;

/** An event to append (emmett style). `eventId` (a UUID) is generated when absent. */
export type NewEvent<Type extends string = string, Data = unknown> = Readonly<{
  type: Type;
  data: Data;
  metadata?: EventMetadata;
  eventId?: string;
}>;

/** An event as stored: immutable, with its place in its stream and in the global order. */
export type RecordedEvent<Type extends string = string, Data = unknown> = Readonly<{
  type: Type;
  data: Data;
  metadata: EventMetadata;
  eventId: string;
  streamId: string;
  /** 1 for the first event of a stream. */
  streamVersion: number;
  /** Position in the store's total order (bigserial; gaps are possible, order is strict). */
  globalPosition: bigint;
  recordedAt: Date;
}>;

// Subject tokens must not contain '.', '*', '>' or whitespace (NATS subject
// syntax); we allow a conservative set that also reads well in SQL and logs.
const TOKEN = /^[A-Za-z0-9_-]{1,100}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The aggregate (category) of a stream id: the part before the first ':'.
 * `cmid-ledger:office2013` -> `cmid-ledger`. It names the JetStream subject
 * `kmsgrid.events.<aggregate>.<EventType>`.
 */
export function streamCategory(streamId: string): string {
  const i = streamId.indexOf(':');
  if (i <= 0) throw new EventStoreError('ES_INVALID_ARGUMENT', `stream id ${JSON.stringify(streamId)} is not <category>:<id>`);
  const category = streamId.slice(0, i);
  if (!TOKEN.test(category)) throw new EventStoreError('ES_INVALID_ARGUMENT', `stream category ${JSON.stringify(category)} must match ${TOKEN.source}`);
  return category;
}

/** Checks a stream id: `<category>:<id>`, category a subject token, at most 512 characters. */
export function assertStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length > 512) {
    throw new EventStoreError('ES_INVALID_ARGUMENT', 'stream id must be a string of at most 512 characters');
  }
  streamCategory(streamId);
  if (streamId.length === streamId.indexOf(':') + 1) throw new EventStoreError('ES_INVALID_ARGUMENT', `stream id ${JSON.stringify(streamId)} has an empty id after ':'`);
}

/** Checks an expected version: a non-negative safe integer, 'any' or 'no_stream'. */
export function assertExpectedVersion(v: unknown): asserts v is ExpectedVersion {
  if (v === 'any' || v === 'no_stream') return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new EventStoreError('ES_INVALID_ARGUMENT', `expected version ${String(v)} is not 'any', 'no_stream' or an integer >= 0`);
  }
}

/** Checks the events of an append and returns them with event ids (generated where absent). */
export function normalizeNewEvents(events: readonly NewEvent[], newId: () => string): readonly (NewEvent & { eventId: string; metadata: EventMetadata })[] {
  if (!Array.isArray(events) || events.length === 0) throw new EventStoreError('ES_INVALID_ARGUMENT', 'append needs at least one event');
  const seen = new Set<string>();
  return events.map((e, i) => {
    if (e === null || typeof e !== 'object') throw new EventStoreError('ES_INVALID_ARGUMENT', `event #${i} is not an object`);
    if (typeof e.type !== 'string' || !TOKEN.test(e.type)) {
      throw new EventStoreError('ES_INVALID_ARGUMENT', `event #${i} type ${JSON.stringify(e.type)} must match ${TOKEN.source}`);
    }
    if (e.data === undefined) throw new EventStoreError('ES_INVALID_ARGUMENT', `event #${i} (${e.type}) has no data`);
    if (e.metadata !== undefined && (e.metadata === null || typeof e.metadata !== 'object' || Array.isArray(e.metadata))) {
      throw new EventStoreError('ES_INVALID_ARGUMENT', `event #${i} (${e.type}) metadata must be an object`);
    }
    const eventId = e.eventId ?? newId();
    if (typeof eventId !== 'string' || !UUID.test(eventId)) throw new EventStoreError('ES_INVALID_ARGUMENT', `event #${i} id ${JSON.stringify(eventId)} is not a UUID`);
    const id = eventId.toLowerCase();
    if (seen.has(id)) throw new EventStoreError('ES_INVALID_ARGUMENT', `event id ${id} appears twice in one append`);
    seen.add(id);
    return { type: e.type, data: e.data, metadata: e.metadata ?? {}, eventId: id };
  });
}
