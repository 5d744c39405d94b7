import type { Int8 } from './clients.table.js';

/**
 * Table `request_stats` (SQL shape of ledger-domain's `RequestStatsRow`):
 * cumulative counters per application, int8 because at thousands of requests
 * per second an int4 overflows within days.
 */
export interface RequestStatsTable {
  application_id: string;
  total_requests: Int8;
  failed_requests: Int8;
  unlicensed_requests: Int8;
  licensed_requests: Int8;
  oob_grace_requests: Int8;
  oot_grace_requests: Int8;
  non_genuine_grace_requests: Int8;
  notification_requests: Int8;
  extended_grace_requests: Int8;
  updated_at: Date;
}
