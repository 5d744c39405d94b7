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
/** CMIDs per round trip when the count window is read at start. */
const WINDOW_PAGE = 100_000;

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
export async function loadCountGroups(deps: {
  db: Kysely<LedgerDatabase>;
  store: EventStore<unknown>;
  log: Logger;
  /** CMIDs per round trip when the window is read (tests make it small). */
  windowPage?: number;
}): Promise<CountGroups> {
  const { db, store, log } = deps;
  const window = { schema: store.schema, pageSize: deps.windowPage ?? WINDOW_PAGE };
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
        active: await activeWindow(db, applicationId, clock - COUNT_WINDOW_MS, window),
        recentRequests: await recentRequests(db, applicationId, clock - REQUEST_DEDUP_WINDOW_MS),
      }),
    );
  }
  return { states, versions };
}

/**
 * The CMIDs of `applicationId` counted after `cutoff`, read along
 * `clients_window_idx` (only the window, not every client ever seen) in
 * pages, each page one row: its CMIDs as one `cmid epoch-ms,...` string and
 * the exact position of its last (`last_counted_at`, `cmid`) to go on from.
 * A million rows one by one took 6.9 s on the embedded database (every
 * field of every row decoded, copied and cloned to the main thread), the
 * same CMIDs in pages 2.3 s.
 */
async function activeWindow(
  db: Kysely<LedgerDatabase>,
  applicationId: string,
  cutoff: number,
  opts: { schema: string; pageSize: number },
): Promise<ActiveCmid[]> {
  // Raw SQL: kysely's WithSchema plugin does not qualify tables there, so the schema is named.
  const clients = sql.table(`${opts.schema}.clients`);
  const active: ActiveCmid[] = [];
  let after: { at: string; cmid: string } | undefined;
  for (;;) {
    // Epoch milliseconds as float8 text: much cheaper to read than a timestamp per CMID.
    const { rows } = await sql<{ page: string | null; last_at: string | null }>`
      select string_agg(w.cmid::text || ' ' || w.ms::text, ',' order by w.at, w.cmid) as page,
        (array_agg(w.at::text order by w.at desc, w.cmid desc))[1] as last_at
      from (
        select c.cmid, c.last_counted_at as at, (extract(epoch from c.last_counted_at) * 1000)::float8 as ms
        from ${clients} as c
        where c.application_id = ${applicationId} and c.last_counted_at > ${new Date(cutoff)}
          ${after === undefined ? sql`` : sql`and (c.last_counted_at, c.cmid) > (${after.at}::timestamptz, ${after.cmid}::uuid)`}
        order by c.last_counted_at, c.cmid
        limit ${opts.pageSize}
      ) as w`.execute(db);
    const page = rows[0]?.page;
    if (!page) return active;
    const entries = page.split(',');
    for (const entry of entries) {
      const space = entry.indexOf(' ');
      active.push({ cmid: entry.slice(0, space), lastSeenAt: new Date(Math.round(Number(entry.slice(space + 1)))) });
    }
    if (entries.length < opts.pageSize) return active;
    after = { at: rows[0]!.last_at!, cmid: active[active.length - 1]!.cmid };
  }
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
