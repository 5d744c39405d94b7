export { ConcurrencyError, EventStoreError, isConcurrencyError, isEventStoreError, retryOnConcurrencyError } from './errors.js';
export type { EventStoreErrorCode, ExpectedVersion } from './errors.js';
export { assertStreamId, streamCategory } from './events.js';
export type { EventMetadata, NewEvent, RecordedEvent } from './events.js';
export { createEventStore } from './event-store.js';
export type {
  AppendBatchOptions,
  AppendResult,
  CommitListener,
  EventStore,
  EventStoreOptions,
  EventStoreTransaction,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  ReadStreamResult,
  StreamAppend,
} from './event-store.js';
export { DEFAULT_SCHEMA, migrateToLatest } from './schema/migrate.js';
export type { EventStoreTables } from './schema/tables.js';
export { EVENT_STORE_UPDATED_TABLES } from './schema/tables.js';
export { DEFAULT_SUBJECT_PREFIX, EVENT_HEADERS, decodeEventMessage, encodeEventMessage, eventSubject } from './event-message.js';
export type { EventMessage, EventMessageBody } from './event-message.js';
export { RelayPublishError, createOutboxRelay, ensureEventsStream } from './outbox-relay.js';
export { outboxRelayMetrics } from './relay-metrics.js';
export type { EventsStreamOptions, OutboxRelay, OutboxRelayOptions, RelayState, RelayStatus } from './outbox-relay.js';
export { createProjection, rebuildProjection, runProjection } from './projection.js';
export type { ProjectionDefinition, ProjectionRunner } from './projection.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { EmbeddedDbLostError, openEmbeddedDb, startEmbeddedPostgres } from './embedded-postgres.js';
export { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
export type { DataDirLock } from './data-dir-lock.js';
export type { EmbeddedDb, EmbeddedDbOptions, EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded-postgres.js';
export { PgliteDialect, PgliteDialectError } from './pglite-dialect.js';
export type { PgliteDialectConfig } from './pglite-dialect.js';
export { localSession, PgliteStoppedError } from './pglite-session.js';
export type { PgliteSession } from './pglite-session.js';
export { PgliteWorkerError, startPgliteWorker } from './pglite-thread.js';
export type { PgliteWorkerOptions } from './pglite-thread.js';
export { commitDurability, createPostgresDb, postgresReadiness, PREPARED } from './postgres.js';
export { openServiceStore } from './service-store.js';
export type { ServiceStore } from './service-store.js';
export type { CommitDurability, PostgresDbOptions } from './postgres.js';
export { advisoryLockKey } from './locks.js';
