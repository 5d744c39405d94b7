/**
 * Table `request_stats`: cumulative request counters per application, the
 * figures `slmgr /dlv` shows on a KMS host ("Total requests received",
 * "Failed requests received", "Requests with License Status ..."). Never reset
 * ("cumulative request values reset only if you reinstall the KMS host").
 */
export interface RequestStatsRow {
  application_id: string;
  total_requests: number;
  /** Refused requests. */
  failed_requests: number;
  /** License status 0. */
  unlicensed_requests: number;
  /** 1 */
  licensed_requests: number;
  /** 2: initial (out-of-box) grace. */
  oob_grace_requests: number;
  /** 3: out-of-tolerance grace (license expired or hardware out of tolerance). */
  oot_grace_requests: number;
  /** 4 */
  non_genuine_grace_requests: number;
  /** 5 */
  notification_requests: number;
  /** 6 */
  extended_grace_requests: number;
  updated_at: Date;
}
