import type { CountGroupEvent } from '../count-group.events.js';
import type { ActiveCmid } from '../count-group.snapshot.js';
import type { ClientOutcome, ClientRow } from './clients.table.js';
import type { Projection } from './projection.js';

export type ClientKey = Readonly<{ applicationId: string; cmid: string }>;

/** A client of the audit ledger (domain view of a {@link ClientRow}). */
export type Client = Readonly<{
  applicationId: string;
  cmid: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  lastCountedAt: Date | null;
  workstationName: string;
  clientAddress: string;
  kmsCountedId: string;
  skuId: string;
  licenseStatus: number;
  bindingExpirationMinutes: number;
  isVirtualMachine: boolean;
  previousCmid: string;
  nPolicy: number;
  protocolVersion: string;
  rpcSyntax: 'ndr32' | 'ndr64';
  requestCount: number;
  refusedCount: number;
  lastOutcome: ClientOutcome;
  lastHresult: number;
  lastReportedCount: number;
  lastRequestId: string;
}>;

const outcomeOf = (event: CountGroupEvent): ClientOutcome =>
  event.type === 'ClientCounted' ? 'counted' : event.type === 'ClientRenewed' ? 'renewed' : 'refused';

/**
 * Projection `clients`: every CMID ever seen per application, with the facts
 * of its last request. Refused requests without a decoded body have no CMID
 * and change no row.
 */
export const clientsProjection: Projection<ClientRow, ClientKey> = {
  name: 'clients',
  keyOf: (event) => {
    const request = event.data.request;
    return request === undefined ? null : { applicationId: event.data.applicationId, cmid: request.cmid };
  },
  evolve: (row, event) => {
    const { request, origin, version, recordedAt, reportedCount } = event.data;
    if (request === undefined) return row;
    const at = new Date(recordedAt);
    const refused = event.type === 'ActivationRefused';
    return {
      application_id: event.data.applicationId,
      cmid: request.cmid,
      first_seen_at: row?.first_seen_at ?? at,
      last_seen_at: at,
      last_counted_at: refused ? (row?.last_counted_at ?? null) : at,
      workstation_name: request.workstationName,
      client_address: origin.clientAddress,
      kms_counted_id: request.kmsCountedId,
      sku_id: request.skuId,
      license_status: request.licenseStatus,
      binding_expiration_minutes: request.bindingExpiration,
      is_virtual_machine: request.vmInfo !== 0,
      previous_cmid: request.previousCmid,
      n_policy: request.nPolicy,
      protocol_version: `${version.major}.${version.minor}`,
      rpc_syntax: origin.rpcSyntax,
      request_count: (row?.request_count ?? 0) + 1,
      refused_count: (row?.refused_count ?? 0) + (refused ? 1 : 0),
      last_outcome: outcomeOf(event),
      last_hresult: event.type === 'ActivationRefused' ? event.data.hresult : 0,
      last_reported_count: reportedCount,
      last_request_id: origin.requestId,
    };
  },
  merge: (stored, delta) => ({
    ...delta,
    first_seen_at: stored.first_seen_at,
    last_counted_at: delta.last_counted_at ?? stored.last_counted_at,
    request_count: stored.request_count + delta.request_count,
    refused_count: stored.refused_count + delta.refused_count,
  }),
};

/** Row to domain mapper. */
export function cmidRowToClient(row: ClientRow): Client {
  return {
    applicationId: row.application_id,
    cmid: row.cmid,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    lastCountedAt: row.last_counted_at,
    workstationName: row.workstation_name,
    clientAddress: row.client_address,
    kmsCountedId: row.kms_counted_id,
    skuId: row.sku_id,
    licenseStatus: row.license_status,
    bindingExpirationMinutes: row.binding_expiration_minutes,
    isVirtualMachine: row.is_virtual_machine,
    previousCmid: row.previous_cmid,
    nPolicy: row.n_policy,
    protocolVersion: row.protocol_version,
    rpcSyntax: row.rpc_syntax,
    requestCount: row.request_count,
    refusedCount: row.refused_count,
    lastOutcome: row.last_outcome,
    lastHresult: row.last_hresult,
    lastReportedCount: row.last_reported_count,
    lastRequestId: row.last_request_id,
  };
}

/**
 * A clients row as an entry of the count window for `restore`, or null when
 * the client was never counted. The caller selects rows with
 * `last_counted_at > now - COUNT_WINDOW_MS`.
 */
export function cmidRowToActiveCmid(row: Pick<ClientRow, 'cmid' | 'last_counted_at'>): ActiveCmid | null {
  return row.last_counted_at === null ? null : { cmid: row.cmid, lastSeenAt: row.last_counted_at };
}
