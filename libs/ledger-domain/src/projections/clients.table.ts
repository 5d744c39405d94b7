/** Outcome of the last request of a client. */
export type ClientOutcome = 'counted' | 'renewed' | 'refused';

/**
 * Table `clients`: one row per (application, CMID) ever seen, kept forever
 * (the audit ledger), primary key (application_id, cmid). Times are
 * timestamptz. Refused requests update the row but not `last_counted_at`.
 */
export interface ClientRow {
  application_id: string;
  cmid: string;
  first_seen_at: Date;
  last_seen_at: Date;
  /** Last accepted request; null while every request was refused. The count window is rebuilt from it. */
  last_counted_at: Date | null;
  workstation_name: string;
  client_address: string;
  kms_counted_id: string;
  sku_id: string;
  /** LicenseStatus 0..6 of the last request (LICENSE_STATUS). */
  license_status: number;
  /** BindingExpiration: minutes left in the current license state, as the client reported. */
  binding_expiration_minutes: number;
  is_virtual_machine: boolean;
  previous_cmid: string;
  n_policy: number;
  /** "major.minor" of the KMS protocol, e.g. "6.0". */
  protocol_version: string;
  rpc_syntax: 'ndr32' | 'ndr64';
  request_count: number;
  refused_count: number;
  last_outcome: ClientOutcome;
  /** HRESULT of the last refusal, 0 when the last request was accepted. */
  last_hresult: number;
  last_reported_count: number;
  last_request_id: string;
}
