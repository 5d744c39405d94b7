import type { LedgerService } from './ledger-service.js';

/**
 * Prometheus text exposition of a ledger replica: whether it writes, its
 * group commits (committed and failed), what they recorded, and the
 * requests waiting for one. For the cmid-ledger's and the all-in-one's
 * `/metrics`.
 */
export function ledgerMetrics(ledger: Pick<LedgerService, 'stats' | 'isLeader'>): string {
  const s = ledger.stats();
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  family('kmsgrid_ledger_leader', 'gauge', '1 when this replica is the ledger writer.', ledger.isLeader() ? 1 : 0);
  family('kmsgrid_ledger_batches_total', 'counter', 'Group commits that stored their requests.', s.batches);
  family('kmsgrid_ledger_failed_batches_total', 'counter', 'Group commits that failed (their requests got errors, nothing of them was stored).', s.failedBatches);
  family('kmsgrid_ledger_recorded_total', 'counter', 'Requests answered after their commit.', s.recorded);
  family('kmsgrid_ledger_events_total', 'counter', 'Events appended by the group commits.', s.events);
  family('kmsgrid_ledger_pending', 'gauge', 'Requests waiting for a commit now.', s.pending);
  family('kmsgrid_ledger_window_loads_total', 'counter', 'Loads of the in-memory count window from the database (start, and after a failed commit).', s.loads);
  return `${lines.join('\n')}\n`;
}
