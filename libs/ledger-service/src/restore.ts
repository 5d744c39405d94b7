import { sql, type Kysely } from 'kysely';
import type { EventStore, RecordedEvent } from '@kmsgrid/event-store';
import {
  COUNT_GROUP_CATEGORY,
  COUNT_WINDOW_MS,
  REQUEST_DEDUP_WINDOW_MS,
  countGroupEventCodec,
  countGroupStreamId,
  initialState,
  restore,
  type ActiveCmid,
  type CountGroupState,
  type RecentRequest,
} from '@kmsgrid/ledger-domain';
import type { Logger } from '@kmsgrid/config';
import { applyToProjections, type StoredCountGroupEvent } from './projection-writer.js';
import type { LedgerDatabase } from './schema/ledger-tables.js';
import { countGroupRowFromDb } from './schema/mappers.js';

/** The writer's in-memory state: one count group per application and the version of its stream. */
export type CountGroups = Readonly<{ states: Map<string, CountGroupState>; versions: Map<string, number> }>;

const STREAM_PREFIX = `${COUNT_GROUP_CATEGORY}:`;

/** A stored event of a count group stream, checked against the event schema. */
export function toStoredCountGroupEvent(e: RecordedEvent): StoredCountGroupEvent {
  return { event: countGroupEventCodec.check({ type: e.type, data: e.data }), streamVersion: e.streamVersion };
}

/**
 * Loads every count group for the writer (ADR 0003 "restore window at start"):
 * the stream versions from the event store, then per group its `count_groups`
 * row, the CMIDs counted in the 30 days before its last request (index range
 * scan on `clients_window_idx`: only the window is read, not every client
 * ever seen) and the request ids of its last minutes for idempotency. A group
 * whose projections lag its stream (events appended by something else than
 * this service) is caught up from the stream first.
 */
export async function loadCountGroups(deps: { db: Kysely<LedgerDatabase>; store: EventStore<unknown>; log: Logger }): Promise<CountGroups> {
  const { db, store, log } = deps;
  const streams = await db.selectFrom('streams').select(['stream_id', 'version']).where('stream_id', 'like', `${STREAM_PREFIX}%`).execute();
  const states = new Map<string, CountGroupState>();
  const versions = new Map<string, number>();
  for (const { stream_id: streamId, version } of streams) {
    const applicationId = streamId.slice(STREAM_PREFIX.length);
    let row = await db.selectFrom('count_groups').selectAll().where('application_id', '=', applicationId).executeTakeFirst();
    const projected = row?.stream_version ?? 0;
    if (projected < version) {
      log.warn('ledger projections lag their stream; catching up', { streamId, projected, version });
      await catchUp(db, store, applicationId, projected + 1);
      row = await db.selectFrom('count_groups').selectAll().where('application_id', '=', applicationId).executeTakeFirst();
    }
    versions.set(applicationId, row?.stream_version ?? version);
    if (row === undefined) {
      states.set(applicationId, initialState());
      continue;
    }
    const group = countGroupRowFromDb(row);
    const clock = group.updated_at.getTime();
    states.set(
      applicationId,
      restore({
        applicationId,
        highestNPolicy: group.highest_n_policy ?? 0,
        clock: group.updated_at,
        active: await activeWindow(db, applicationId, clock - COUNT_WINDOW_MS),
        recentRequests: await recentRequests(db, applicationId, clock - REQUEST_DEDUP_WINDOW_MS),
      }),
    );
  }
  return { states, versions };
}

async function activeWindow(db: Kysely<LedgerDatabase>, applicationId: string, cutoff: number): Promise<ActiveCmid[]> {
  // Epoch milliseconds as float8: pg hands back a number, much cheaper than parsing a timestamp per row.
  const rows = await db
    .selectFrom('clients')
    .select(['cmid', sql<number>`(extract(epoch from last_counted_at) * 1000)::float8`.as('t')])
    .where('application_id', '=', applicationId)
    .where('last_counted_at', '>', new Date(cutoff))
    .execute();
  return rows.map((r) => ({ cmid: r.cmid, lastSeenAt: new Date(Math.round(r.t)) }));
}

async function recentRequests(db: Kysely<LedgerDatabase>, applicationId: string, cutoff: number): Promise<RecentRequest[]> {
  const rows = await db
    .selectFrom('clients')
    .select(['last_request_id', 'last_seen_at', 'last_reported_count', 'last_outcome'])
    .where('application_id', '=', applicationId)
    .where('last_seen_at', '>', new Date(cutoff))
    .execute();
  return rows.map((r) => ({ requestId: r.last_request_id, at: r.last_seen_at, count: r.last_reported_count, newClient: r.last_outcome === 'counted' }));
}

const CATCH_UP_PAGE = 1000;

async function catchUp(db: Kysely<LedgerDatabase>, store: EventStore<unknown>, applicationId: string, fromVersion: number): Promise<void> {
  const streamId = countGroupStreamId(applicationId);
  for (let from = fromVersion; ; from += CATCH_UP_PAGE) {
    const page = await store.readStream(streamId, { fromVersion: from, toVersion: from + CATCH_UP_PAGE - 1 });
    if (page.events.length === 0) return;
    const events = page.events.map(toStoredCountGroupEvent);
    await applyToProjections(db as Kysely<unknown>, store.schema, events);
  }
}
