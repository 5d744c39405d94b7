import { EventStoreError } from './errors.js';
import { streamCategory, type EventMetadata, type RecordedEvent } from './events.js';

/** Header names set on every published event (values match libs/telemetry and libs/contracts). */
export const EVENT_HEADERS = {
  /** JetStream de-duplication key: the event id. */
  msgId: 'Nats-Msg-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  correlationId: 'kmsgrid-correlation-id',
  causationId: 'kmsgrid-causation-id',
  eventType: 'kmsgrid-event-type',
  streamId: 'kmsgrid-stream-id',
  streamVersion: 'kmsgrid-stream-version',
  globalPosition: 'kmsgrid-global-position',
} as const;

/** Subject prefix of domain events (ARCHITECTURE.md, Contracts). */
export const DEFAULT_SUBJECT_PREFIX = 'kmsgrid.events';

/**
 * The JetStream subject of an event: `<prefix>.<aggregate>.<EventType>`, the
 * aggregate being the stream id's category (the part before ':').
 *
 * @example eventSubject('cmid-ledger:office2013', 'ClientCounted') // 'kmsgrid.events.cmid-ledger.ClientCounted'
 */
export function eventSubject(streamId: string, type: string, prefix: string = DEFAULT_SUBJECT_PREFIX): string {
  return `${prefix}.${streamCategory(streamId)}.${type}`;
}

/** A domain event ready for `js.publish(subject, payload, { msgID, headers })`. */
export type EventMessage = Readonly<{
  subject: string;
  msgId: string;
  headers: Readonly<Record<string, string>>;
  payload: Uint8Array;
}>;

/** The JSON body of a published event. `globalPosition` is a decimal string (a bigint). */
export type EventMessageBody = Readonly<{
  eventId: string;
  type: string;
  streamId: string;
  streamVersion: number;
  globalPosition: string;
  recordedAt: string;
  data: unknown;
  metadata: EventMetadata;
}>;

// A header value may not contain CR or LF (NATS headers use the HTTP/1 framing).
const headerSafe = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1024 && !/[\r\n]/.test(v);

/** Builds the NATS message for a stored event: subject, de-duplication id, headers, JSON body. */
export function encodeEventMessage(event: RecordedEvent, prefix: string = DEFAULT_SUBJECT_PREFIX): EventMessage {
  const headers: Record<string, string> = {
    [EVENT_HEADERS.eventType]: event.type,
    [EVENT_HEADERS.streamId]: event.streamId,
    [EVENT_HEADERS.streamVersion]: String(event.streamVersion),
    [EVENT_HEADERS.globalPosition]: event.globalPosition.toString(),
  };
  const m = event.metadata;
  if (headerSafe(m.traceparent)) headers[EVENT_HEADERS.traceparent] = m.traceparent;
  if (headerSafe(m.tracestate)) headers[EVENT_HEADERS.tracestate] = m.tracestate;
  if (headerSafe(m.correlationId)) headers[EVENT_HEADERS.correlationId] = m.correlationId;
  if (headerSafe(m.causationId)) headers[EVENT_HEADERS.causationId] = m.causationId;
  const body: EventMessageBody = {
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    globalPosition: event.globalPosition.toString(),
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
  return {
    subject: eventSubject(event.streamId, event.type, prefix),
    msgId: event.eventId,
    headers,
    payload: new TextEncoder().encode(JSON.stringify(body)),
  };
}

const bad = (reason: string): EventStoreError => new EventStoreError('ES_INVALID_ARGUMENT', `event message: ${reason}`);

/** Parses the body of a published event back into a {@link RecordedEvent}; malformed input throws an {@link EventStoreError}. */
export function decodeEventMessage(payload: Uint8Array): RecordedEvent {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (e) {
    throw new EventStoreError('ES_INVALID_ARGUMENT', 'event message: body is not UTF-8 JSON', { cause: e });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('body is not an object');
  const b = body as Record<string, unknown>;
  for (const k of ['eventId', 'type', 'streamId', 'globalPosition', 'recordedAt'] as const) {
    if (typeof b[k] !== 'string') throw bad(`${k} is not a string`);
  }
  if (typeof b.streamVersion !== 'number' || !Number.isSafeInteger(b.streamVersion) || b.streamVersion < 1) throw bad('streamVersion is not a positive integer');
  if (!/^[1-9][0-9]{0,18}$/.test(b.globalPosition as string)) throw bad('globalPosition is not a positive decimal integer');
  const recordedAt = new Date(b.recordedAt as string);
  if (Number.isNaN(recordedAt.getTime())) throw bad('recordedAt is not a date');
  if (!('data' in b)) throw bad('data is missing');
  const metadata = b.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw bad('metadata is not an object');
  return {
    eventId: b.eventId as string,
    type: b.type as string,
    streamId: b.streamId as string,
    streamVersion: b.streamVersion,
    globalPosition: BigInt(b.globalPosition as string),
    recordedAt,
    data: b.data,
    metadata: metadata as EventMetadata,
  };
}
