import { describe, expect, it } from 'vitest';
import { EventStoreError } from './errors.js';
import { decodeEventMessage, encodeEventMessage, EVENT_HEADERS, eventSubject } from './event-message.js';
import type { RecordedEvent } from './events.js';
import { backoffDelay } from './backoff.js';

const event: RecordedEvent = {
  type: 'ClientCounted',
  data: { cmid: 'a', n: [1, 2] },
  metadata: { correlationId: 'corr', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', custom: { x: 1 } },
  eventId: '6f1c4b8e-4d5a-4c3b-9a2e-1f0e9d8c7b6a',
  streamId: 'cmid-ledger:office2013',
  streamVersion: 7,
  globalPosition: 9_007_199_254_740_993n, // beyond 2^53: must survive as a string
  recordedAt: new Date('2026-11-27T23:00:00.123Z'),
};

describe('eventSubject', () => {
  it('is <prefix>.<aggregate>.<EventType>', () => {
    expect(eventSubject('cmid-ledger:office2013', 'ClientCounted')).toBe('kmsgrid.events.cmid-ledger.ClientCounted');
    expect(eventSubject('dns:a.example', 'RecordPublished', 't.events')).toBe('t.events.dns.RecordPublished');
  });
});

describe('encodeEventMessage / decodeEventMessage', () => {
  it('round-trips the event and sets dedupe id and headers', () => {
    const m = encodeEventMessage(event);
    expect(m.subject).toBe('kmsgrid.events.cmid-ledger.ClientCounted');
    expect(m.msgId).toBe(event.eventId);
    expect(m.headers).toEqual({
      [EVENT_HEADERS.eventType]: 'ClientCounted',
      [EVENT_HEADERS.streamId]: 'cmid-ledger:office2013',
      [EVENT_HEADERS.streamVersion]: '7',
      [EVENT_HEADERS.globalPosition]: '9007199254740993',
      [EVENT_HEADERS.correlationId]: 'corr',
      [EVENT_HEADERS.traceparent]: event.metadata.traceparent,
    });
    expect(decodeEventMessage(m.payload)).toEqual(event);
  });

  it('leaves out header values that would break the header block', () => {
    const m = encodeEventMessage({ ...event, metadata: { correlationId: 'a\r\nX-Evil: 1', causationId: 42 as never } });
    expect(m.headers[EVENT_HEADERS.correlationId]).toBeUndefined();
    expect(m.headers[EVENT_HEADERS.causationId]).toBeUndefined();
  });

  const body = (o: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify(o));
  const good = JSON.parse(new TextDecoder().decode(encodeEventMessage(event).payload)) as Record<string, unknown>;
  it.each([
    ['not JSON', new TextEncoder().encode('{'), /not UTF-8 JSON/],
    ['bad UTF-8', new Uint8Array([0xff, 0xfe]), /not UTF-8 JSON/],
    ['an array', body([] as never), /not an object/],
    ['no eventId', body({ ...good, eventId: undefined }), /eventId is not a string/],
    ['a zero version', body({ ...good, streamVersion: 0 }), /streamVersion/],
    ['a numeric position', body({ ...good, globalPosition: 5 }), /globalPosition is not a string/],
    ['a bad position', body({ ...good, globalPosition: '-1' }), /globalPosition is not a positive/],
    ['a bad date', body({ ...good, recordedAt: 'yesterday' }), /recordedAt/],
    ['no data', body({ ...good, data: undefined }), /data is missing/],
    ['array metadata', body({ ...good, metadata: [] }), /metadata/],
  ])('refuses %s', (_, payload, reason) => {
    expect(() => decodeEventMessage(payload)).toThrow(EventStoreError);
    expect(() => decodeEventMessage(payload)).toThrow(reason);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with equal jitter', () => {
    const o = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, o, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, o, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelay(0, o, () => 1)).toBe(100);
  });
});
