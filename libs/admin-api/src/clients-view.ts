import { APPLICATIONS, findApplication, findKmsItem, findSku } from '@kmsgrid/kms-catalog';
import { AdminError } from './errors.js';
import { LICENSE_STATES, licenseStateName, parseLicenseState } from './license-states.js';
import type { ClientPage, ClientQuery, ClientRecord, ClientsQuerystring, ClientsView, ClientView } from './schemas.js';

/** Page size when the query names none. */
export const DEFAULT_CLIENTS_LIMIT = 100;
/** Largest page (the ledger's LEDGER_CLIENTS_MAX_LIMIT). */
export const MAX_CLIENTS_LIMIT = 500;

const GUID_RE = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;
const DURATION_RE = /^(\d{1,6})([mhd])$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function parseApplication(text: string): string {
  const guid = GUID_RE.exec(text.trim());
  if (guid) return guid[1]!.toLowerCase();
  const t = text.trim().toLowerCase();
  const app = APPLICATIONS.find((a) => a.kind === t || a.name.toLowerCase() === t);
  if (app) return app.id;
  throw new AdminError(
    'KMSG_ERR_ADMIN_BAD_QUERY',
    `application "${text}" is neither a GUID nor one of ${APPLICATIONS.map((a) => a.kind).join(', ')}`,
  );
}

function parseSince(text: string, now: Date): string {
  const d = DURATION_RE.exec(text.trim());
  if (d) return new Date(now.getTime() - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS]).toISOString();
  const ms = ISO_RE.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new AdminError('KMSG_ERR_ADMIN_BAD_QUERY', `since "${text}" is neither an ISO 8601 time (2026-05-01T12:00:00Z) nor a duration back from now (30m, 24h, 7d)`);
  }
  return new Date(ms).toISOString();
}

/**
 * Turns the validated query string of GET /v1/clients into the data source's
 * query; throws AdminError(KMSG_ERR_ADMIN_BAD_QUERY) with a message naming the
 * parameter.
 *
 * @example parseClientsQuery({ application: 'office', since: '7d' }, now) // { applicationId: '0ff1ce15-…', seenSince: '…', limit: 100 }
 */
export function parseClientsQuery(q: ClientsQuerystring, now: Date): ClientQuery {
  let licenseStatus: number | undefined;
  if (q.licenseStatus !== undefined) {
    licenseStatus = parseLicenseState(q.licenseStatus);
    if (licenseStatus === undefined) {
      throw new AdminError(
        'KMSG_ERR_ADMIN_BAD_QUERY',
        `licenseStatus "${q.licenseStatus}" is unknown: use 0..6 or ${LICENSE_STATES.map((s) => s.key).join(', ')}`,
      );
    }
  }
  return {
    ...(q.application !== undefined && { applicationId: parseApplication(q.application) }),
    ...(q.workstation !== undefined && { workstation: q.workstation }),
    ...(q.address !== undefined && { address: q.address }),
    ...(licenseStatus !== undefined && { licenseStatus }),
    ...(q.since !== undefined && { seenSince: parseSince(q.since, now) }),
    ...(q.cursor !== undefined && { cursor: q.cursor }),
    limit: q.limit ?? DEFAULT_CLIENTS_LIMIT,
  };
}

const hresultText = (h: number | undefined): string | null =>
  h === undefined || h === 0 ? null : `0x${(h >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** A ledger client record with names from @kmsgrid/kms-catalog. */
export function toClientView(r: ClientRecord): ClientView {
  const kmsItem = findKmsItem(r.kmsCountedId);
  const kmsCountedName = kmsItem?.name ?? r.kmsCountedId.toLowerCase();
  return {
    cmid: r.cmid.toLowerCase(),
    applicationId: r.applicationId.toLowerCase(),
    applicationName: findApplication(r.applicationId)?.name ?? r.applicationId.toLowerCase(),
    kmsCountedId: r.kmsCountedId.toLowerCase(),
    kmsCountedName,
    skuId: r.skuId.toLowerCase(),
    productName: findSku(r.skuId)?.name ?? kmsItem?.name ?? 'unknown SKU',
    workstation: r.workstationName,
    address: r.clientAddress,
    licenseStatus: r.licenseStatus,
    licenseStatusName: licenseStateName(r.licenseStatus),
    remainingMinutes: r.bindingExpirationMinutes,
    vm: r.isVirtualMachine,
    previousCmid: r.previousCmid.toLowerCase(),
    firstSeen: r.firstSeenAt,
    lastSeen: r.lastSeenAt,
    requestCount: r.requestCount,
    lastOutcome: r.lastOutcome,
    nPolicy: r.nPolicy ?? null,
    lastError: r.lastOutcome === 'refused' ? hresultText(r.lastHresult) : null,
  };
}

export const toClientsView = (page: ClientPage): ClientsView => ({
  clients: page.clients.map(toClientView),
  nextCursor: page.nextCursor ?? null,
});
