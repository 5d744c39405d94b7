import type { ColumnType } from 'kysely';
import type { ClientOutcome } from '@kmsgrid/ledger-domain';

/** A Postgres int8: pg returns it as a decimal string; written as a number. */
export type Int8 = ColumnType<string, number | string, number | string>;

/**
 * Table `clients` (SQL shape; the domain shape is ledger-domain's `ClientRow`,
 * see mappers.ts): one row per (application, CMID) ever seen, kept forever.
 * U32 fields of the KMS request are int8 (a client may send any 32-bit value).
 */
export interface ClientsTable {
  application_id: string;
  cmid: string;
  first_seen_at: Date;
  last_seen_at: Date;
  last_counted_at: Date | null;
  workstation_name: string;
  client_address: string;
  kms_counted_id: string;
  sku_id: string;
  license_status: Int8;
  binding_expiration_minutes: Int8;
  is_virtual_machine: boolean;
  previous_cmid: string;
  n_policy: Int8;
  protocol_version: string;
  rpc_syntax: 'ndr32' | 'ndr64';
  request_count: Int8;
  refused_count: Int8;
  last_outcome: ClientOutcome;
  last_hresult: Int8;
  last_reported_count: number;
  last_request_id: string;
}
