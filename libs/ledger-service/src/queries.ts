import { sql, type Kysely } from 'kysely';
import {
  LEDGER_CLIENTS_MAX_LIMIT,
  ledgerClientsRequestCodec,
  type LedgerApplicationStatusDto,
  type LedgerClientDto,
  type LedgerClientsReply,
  type LedgerClientsRequest,
  type LedgerStatusReply,
} from '@kmsgrid/contracts';
import {
  APPLICATIONS,
  COUNT_WINDOW_MS,
  NO_APPLICATION_ID,
  cmidRowToClient,
  requestStatsRowToStats,
  thresholdStatus,
  type Client,
} from '@kmsgrid/ledger-domain';
import { LedgerServiceError } from './errors.js';
import type { LedgerTables } from './schema/ledger-tables.js';
import { clientRowFromDb, countGroupRowFromDb, requestStatsRowFromDb } from './schema/mappers.js';

/** Display names of the count groups (man/vlmcs.1 names the three application ids). */
export const APPLICATION_NAMES: Readonly<Record<string, string>> = {
  [APPLICATIONS.windows]: 'Windows',
  [APPLICATIONS.office2010]: 'Office 2010',
  [APPLICATIONS.office2013]: 'Office 2013+',
  [NO_APPLICATION_ID]: 'Undecodable requests',
};

const ORDER = [APPLICATIONS.windows, APPLICATIONS.office2010, APPLICATIONS.office2013] as readonly string[];
const rank = (id: string): number => (ORDER.includes(id) ? ORDER.indexOf(id) : id === NO_APPLICATION_ID ? 1e9 : ORDER.length);

/**
 * The `slmgr /dlv` view of every count group, from Postgres: the active CMIDs
 * are counted in `clients` at `now` (so expiry since the last request shows),
 * the request statistics come from `request_stats`.
 */
export async function queryStatus(db: Kysely<LedgerTables>, now: Date): Promise<LedgerStatusReply> {
  const [groups, stats] = await Promise.all([db.selectFrom('count_groups').selectAll().execute(), db.selectFrom('request_stats').selectAll().execute()]);
  const groupById = new Map(groups.map((r) => [r.application_id, countGroupRowFromDb(r)]));
  const statsById = new Map(stats.map((r) => [r.application_id, requestStatsRowToStats(requestStatsRowFromDb(r))]));
  const ids = [...new Set([...groupById.keys(), ...statsById.keys()])].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const cutoff = new Date(now.getTime() - COUNT_WINDOW_MS);
  const applications = await Promise.all(
    ids.map(async (applicationId): Promise<LedgerApplicationStatusDto> => {
      const group = groupById.get(applicationId);
      const s = statsById.get(applicationId);
      const { n } = await db
        .selectFrom('clients')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('application_id', '=', applicationId)
        .where('last_counted_at', '>', cutoff)
        .executeTakeFirstOrThrow();
      const activeClients = Number(n);
      const highest = group?.highest_n_policy ?? null;
      const lowest = group?.lowest_n_policy ?? null;
      const reportedCount = Math.min(activeClients, 2 * (highest ?? 0));
      const by = s?.byLicenseStatus ?? [];
      return {
        applicationId,
        name: APPLICATION_NAMES[applicationId] ?? `Application ${applicationId}`,
        activeClients,
        reportedCount,
        highestNPolicy: highest ?? 0,
        lowestNPolicy: lowest ?? 0,
        thresholdStatus: thresholdStatus(reportedCount, lowest, highest),
        lastRequestAt: group === undefined ? null : group.updated_at.toISOString(),
        requests: {
          total: s?.total ?? 0,
          failed: s?.failed ?? 0,
          unlicensed: by[0] ?? 0,
          licensed: by[1] ?? 0,
          initialGrace: by[2] ?? 0,
          ootGrace: by[3] ?? 0,
          nonGenuineGrace: by[4] ?? 0,
          notification: by[5] ?? 0,
          extendedGrace: by[6] ?? 0,
        },
      };
    }),
  );
  return { at: now.toISOString(), applications };
}

/** Keyset position: the last row of a page, in the listing order (last_seen_at, application_id, cmid) descending. */
type Cursor = Readonly<{ lastSeenAt: Date; applicationId: string; cmid: string }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.lastSeenAt.toISOString(), c.applicationId, c.cmid]), 'utf8').toString('base64url');
}

/** @throws LedgerServiceError `KMSG_ERR_LEDGER_BAD_CURSOR` */
export function decodeCursor(s: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((x) => typeof x === 'string')) {
    const [t, a, c] = parsed as [string, string, string];
    const lastSeenAt = new Date(t);
    if (!Number.isNaN(lastSeenAt.getTime()) && UUID.test(a) && UUID.test(c)) return { lastSeenAt, applicationId: a, cmid: c };
  }
  throw new LedgerServiceError('KMSG_ERR_LEDGER_BAD_CURSOR', 'the cursor is not one this service issued');
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (m) => `\\${m}`);

export const DEFAULT_CLIENTS_LIMIT = 100;

/**
 * Clients newest first, filtered, one page at a time (keyset paging: stable
 * under concurrent writes, no OFFSET scans).
 *
 * @throws LedgerServiceError `KMSG_ERR_LEDGER_BAD_REQUEST` (query fails its schema), `KMSG_ERR_LEDGER_BAD_CURSOR`
 */
export async function queryClients(db: Kysely<LedgerTables>, request: LedgerClientsRequest): Promise<LedgerClientsReply> {
  const q = ledgerClientsRequestCodec.check(request);
  const limit = Math.min(q.limit ?? DEFAULT_CLIENTS_LIMIT, LEDGER_CLIENTS_MAX_LIMIT);
  const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  let query = db.selectFrom('clients').selectAll();
  if (q.applicationId !== undefined) query = query.where('application_id', '=', q.applicationId);
  if (q.workstation !== undefined) query = query.where(sql<string>`lower(workstation_name)`, 'like', sql<string>`lower(${escapeLike(q.workstation) + '%'})`);
  if (q.address !== undefined) query = query.where('client_address', '=', q.address);
  if (q.licenseStatus !== undefined) query = query.where('license_status', '=', String(q.licenseStatus));
  if (q.seenSince !== undefined) query = query.where('last_seen_at', '>=', new Date(q.seenSince));
  if (cursor !== undefined) {
    query =
      q.applicationId !== undefined
        ? query.where((eb) => eb(eb.refTuple('last_seen_at', 'cmid'), '<', eb.tuple(cursor.lastSeenAt, cursor.cmid)))
        : query.where((eb) => eb(eb.refTuple('last_seen_at', 'application_id', 'cmid'), '<', eb.tuple(cursor.lastSeenAt, cursor.applicationId, cursor.cmid)));
  }
  const rows = await query.orderBy('last_seen_at', 'desc').orderBy('application_id', 'desc').orderBy('cmid', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit).map((r) => cmidRowToClient(clientRowFromDb(r)));
  const last = page[page.length - 1];
  return {
    clients: page.map(clientToDto),
    ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor(last) } : {}),
  };
}

/** Domain client to wire DTO. */
export function clientToDto(c: Client): LedgerClientDto {
  return {
    applicationId: c.applicationId,
    cmid: c.cmid,
    firstSeenAt: c.firstSeenAt.toISOString(),
    lastSeenAt: c.lastSeenAt.toISOString(),
    lastCountedAt: c.lastCountedAt === null ? null : c.lastCountedAt.toISOString(),
    workstationName: c.workstationName,
    clientAddress: c.clientAddress,
    kmsCountedId: c.kmsCountedId,
    skuId: c.skuId,
    licenseStatus: c.licenseStatus,
    bindingExpirationMinutes: c.bindingExpirationMinutes,
    isVirtualMachine: c.isVirtualMachine,
    previousCmid: c.previousCmid,
    nPolicy: c.nPolicy,
    protocolVersion: c.protocolVersion,
    rpcSyntax: c.rpcSyntax,
    requestCount: c.requestCount,
    refusedCount: c.refusedCount,
    lastOutcome: c.lastOutcome,
    lastHresult: c.lastHresult,
  };
}
