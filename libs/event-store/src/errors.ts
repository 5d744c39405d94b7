/**
 * Error catalogue of the event store. Every failure the library raises on
 * purpose is an {@link EventStoreError}; version conflicts are always the
 * subclass {@link ConcurrencyError} so callers can retry exactly those.
 */
export type EventStoreErrorCode =
  | 'ES_CONCURRENCY' // the stream is not at the expected version
  | 'ES_DUPLICATE_EVENT_ID' // an event with this event id is already stored
  | 'ES_INVALID_ARGUMENT' // malformed stream id, event type, version or option
  | 'ES_STORAGE'; // Postgres refused a statement for another reason (see cause)

/** A typed event-store failure; `cause` holds the driver error when there is one. */
export class EventStoreError extends Error {
  override readonly name: string = 'EventStoreError';
  constructor(
    readonly code: EventStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** Expected version of an append, as given by the caller. */
export type ExpectedVersion = number | 'any' | 'no_stream';

/**
 * The stream was not at the expected version: someone else appended first.
 * Re-read the stream, decide again and retry (see `retryOnConcurrencyError`).
 */
export class ConcurrencyError extends EventStoreError {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: ExpectedVersion,
    /** The stream's version when the conflict was detected (0: no stream), if known. */
    readonly actualVersion: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'ES_CONCURRENCY',
      `stream ${streamId} expected at version ${String(expectedVersion)} but is at ${actualVersion === undefined ? 'an unknown version' : String(actualVersion)}`,
      options,
    );
  }
}

export const isEventStoreError = (e: unknown): e is EventStoreError => e instanceof EventStoreError;
export const isConcurrencyError = (e: unknown): e is ConcurrencyError => e instanceof ConcurrencyError;

/**
 * Runs `fn` again (up to `attempts` times in all) only when it fails with a
 * {@link ConcurrencyError}; any other error propagates at once.
 *
 * @example await retryOnConcurrencyError(() => handle(command), { attempts: 5 });
 */
export async function retryOnConcurrencyError<T>(fn: () => Promise<T>, opts: { attempts?: number } = {}): Promise<T> {
  const attempts = opts.attempts ?? 3;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ConcurrencyError) || i >= attempts) throw e;
    }
  }
}
