import type { Insertable, Selectable } from 'kysely';
import type { ClientRow, CountGroupRow, RequestStatsRow } from '@kmsgrid/ledger-domain';
import type { ClientsTable } from './clients.table.js';
import type { CountGroupsTable } from './count-groups.table.js';
import type { RequestStatsTable } from './request-stats.table.js';

// Explicit SQL row <-> domain row mappers (STYLE.md rule 8). The domain rows
// are what ledger-domain's projection `evolve` functions take and return;
// the SQL rows differ in int8 columns (decimal strings from pg).

/** A count group row with the version of its stream it reflects. */
export type CountGroupRecord = CountGroupRow & { readonly stream_version: number };

const int8 = (v: string | number): number => (typeof v === 'number' ? v : Number(v));
const int8OrNull = (v: string | number | null): number | null => (v === null ? null : int8(v));

export function clientRowFromDb(r: Selectable<ClientsTable>): ClientRow {
  return {
    application_id: r.application_id,
    cmid: r.cmid,
    first_seen_at: r.first_seen_at,
    last_seen_at: r.last_seen_at,
    last_counted_at: r.last_counted_at,
    workstation_name: r.workstation_name,
    client_address: r.client_address,
    kms_counted_id: r.kms_counted_id,
    sku_id: r.sku_id,
    license_status: int8(r.license_status),
    binding_expiration_minutes: int8(r.binding_expiration_minutes),
    is_virtual_machine: r.is_virtual_machine,
    previous_cmid: r.previous_cmid,
    n_policy: int8(r.n_policy),
    protocol_version: r.protocol_version,
    rpc_syntax: r.rpc_syntax,
    request_count: int8(r.request_count),
    refused_count: int8(r.refused_count),
    last_outcome: r.last_outcome,
    last_hresult: int8(r.last_hresult),
    last_reported_count: r.last_reported_count,
    last_request_id: r.last_request_id,
  };
}

export function clientRowToDb(r: ClientRow): Insertable<ClientsTable> {
  return { ...r };
}

export function countGroupRowFromDb(r: Selectable<CountGroupsTable>): CountGroupRecord {
  return {
    application_id: r.application_id,
    active_clients: r.active_clients,
    reported_count: r.reported_count,
    highest_n_policy: int8OrNull(r.highest_n_policy),
    lowest_n_policy: int8OrNull(r.lowest_n_policy),
    threshold_status: r.threshold_status,
    updated_at: r.updated_at,
    last_request_id: r.last_request_id,
    stream_version: r.stream_version,
  };
}

export function countGroupRowToDb(r: CountGroupRecord): Insertable<CountGroupsTable> {
  return { ...r };
}

export function requestStatsRowFromDb(r: Selectable<RequestStatsTable>): RequestStatsRow {
  return {
    application_id: r.application_id,
    total_requests: int8(r.total_requests),
    failed_requests: int8(r.failed_requests),
    unlicensed_requests: int8(r.unlicensed_requests),
    licensed_requests: int8(r.licensed_requests),
    oob_grace_requests: int8(r.oob_grace_requests),
    oot_grace_requests: int8(r.oot_grace_requests),
    non_genuine_grace_requests: int8(r.non_genuine_grace_requests),
    notification_requests: int8(r.notification_requests),
    extended_grace_requests: int8(r.extended_grace_requests),
    updated_at: r.updated_at,
  };
}

export function requestStatsRowToDb(r: RequestStatsRow): Insertable<RequestStatsTable> {
  return { ...r };
}
