import { describe, expect, it } from 'vitest';
import { ConcurrencyError, EventStoreError, retryOnConcurrencyError } from './errors.js';
import { assertExpectedVersion, assertStreamId, normalizeNewEvents, streamCategory } from './events.js';
import { advisoryLockKeys } from './locks.js';

const ids = (...list: string[]) => {
  let i = 0;
  return () => list[i++]!;
};

describe('stream ids', () => {
  it('takes the category before the first colon', () => {
    expect(streamCategory('cmid-ledger:office2013')).toBe('cmid-ledger');
    expect(streamCategory('dns:example.com:srv')).toBe('dns');
  });

  it.each(['', 'nocolon', ':id', 'a.b:id', 'a*:id', 'a b:id', 'cat:'])('refuses %j', (id) => {
    expect(() => assertStreamId(id)).toThrow(EventStoreError);
  });

  it('refuses non-strings and over-long ids', () => {
    expect(() => assertStreamId(42)).toThrow(/string/);
    expect(() => assertStreamId(`a:${'x'.repeat(511)}`)).toThrow(/512/);
  });
});

describe('expected versions', () => {
  it.each([0, 1, 2 ** 31 - 1, 'any', 'no_stream'])('accepts %j', (v) => expect(() => assertExpectedVersion(v)).not.toThrow());
  it.each([-1, 1.5, 2 ** 31, NaN, '3', null, 'all'])('refuses %j', (v) => {
    expect(() => assertExpectedVersion(v)).toThrow(expect.objectContaining({ code: 'ES_INVALID_ARGUMENT' }));
  });
});

describe('normalizeNewEvents', () => {
  const A = '6f1c4b8e-4d5a-4c3b-9a2e-1f0e9d8c7b6a';
  const B = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

  it('keeps given ids (lower-cased), generates missing ones, defaults metadata', () => {
    const out = normalizeNewEvents([{ type: 'A', data: 1, eventId: A.toUpperCase() }, { type: 'B', data: null, metadata: { correlationId: 'c' } }], ids(B));
    expect(out).toEqual([
      { type: 'A', data: 1, eventId: A, metadata: {} },
      { type: 'B', data: null, eventId: B, metadata: { correlationId: 'c' } },
    ]);
  });

  it.each([
    ['no events', []],
    ['a bad type', [{ type: 'A.B', data: 1 }]],
    ['missing data', [{ type: 'A', data: undefined }]],
    ['array metadata', [{ type: 'A', data: 1, metadata: [] }]],
    ['a bad id', [{ type: 'A', data: 1, eventId: 'x' }]],
    ['a repeated id', [{ type: 'A', data: 1, eventId: A }, { type: 'A', data: 2, eventId: A }]],
  ])('refuses %s', (_, events) => {
    expect(() => normalizeNewEvents(events as never, ids(B))).toThrow(EventStoreError);
  });
});

describe('retryOnConcurrencyError', () => {
  it('retries only concurrency errors, up to the attempt limit', async () => {
    let calls = 0;
    const r = await retryOnConcurrencyError(async () => {
      if (++calls < 3) throw new ConcurrencyError('s:1', 1, 2);
      return 'ok';
    }, { attempts: 3 });
    expect([r, calls]).toEqual(['ok', 3]);

    calls = 0;
    await expect(retryOnConcurrencyError(async () => {
      calls++;
      throw new ConcurrencyError('s:1', 1, 2);
    }, { attempts: 2 })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(calls).toBe(2);

    calls = 0;
    const other = new Error('other');
    await expect(retryOnConcurrencyError(async () => {
      calls++;
      throw other;
    })).rejects.toBe(other);
    expect(calls).toBe(1);
  });

  it('names the conflict precisely', () => {
    const e = new ConcurrencyError('cart:1', 'no_stream', 4, { cause: 'x' });
    expect(e).toMatchObject({ name: 'ConcurrencyError', code: 'ES_CONCURRENCY', streamId: 'cart:1', expectedVersion: 'no_stream', actualVersion: 4, cause: 'x' });
    expect(e.message).toBe('ES_CONCURRENCY: stream cart:1 expected at version no_stream but is at 4');
  });
});

describe('advisory lock keys', () => {
  it('differ per schema and fit int4', () => {
    const a = advisoryLockKeys('kmsgrid');
    const b = advisoryLockKeys('es_test_1');
    expect(a.append).not.toEqual(b.append);
    for (const k of a.append) expect(Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31).toBe(true);
    expect(advisoryLockKeys('kmsgrid')).toEqual(a);
  });
});
