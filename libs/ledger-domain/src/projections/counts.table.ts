/**
 * Where a count group stands against the N-policies of its clients:
 * `below` none activates (count < lowest N seen), `partial` only clients with
 * a lower N activate (e.g. servers at 5 but not Windows clients at 25), `met`
 * every client activates (count >= highest N seen).
 */
export type ThresholdStatus = 'below' | 'partial' | 'met';

/**
 * Table `count_groups`: one row per application, as of its last request
 * (the count can only fall later, by expiry, which the next request shows).
 */
export interface CountGroupRow {
  application_id: string;
  active_clients: number;
  reported_count: number;
  /** Highest N-policy of accepted requests; the cap is twice this. Null before the first accepted request. */
  highest_n_policy: number | null;
  lowest_n_policy: number | null;
  threshold_status: ThresholdStatus;
  updated_at: Date;
  last_request_id: string;
}
