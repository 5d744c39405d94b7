import type { ThresholdStatus } from '@kmsgrid/ledger-domain';
import type { Int8 } from './clients.table.js';

/**
 * Table `count_groups` (SQL shape of ledger-domain's `CountGroupRow` plus the
 * stream version): one row per application as of its last request.
 * `stream_version` is the version of `countgroup:<application_id>` the row
 * reflects; it commits with the events, so it equals the stream's version.
 */
export interface CountGroupsTable {
  application_id: string;
  active_clients: number;
  reported_count: number;
  highest_n_policy: Int8 | null;
  lowest_n_policy: Int8 | null;
  threshold_status: ThresholdStatus;
  updated_at: Date;
  last_request_id: string;
  stream_version: number;
}
