import type { EventStoreTables } from '@kmsgrid/event-store';
import type { ClientsTable } from './clients.table.js';
import type { CountGroupsTable } from './count-groups.table.js';
import type { RequestStatsTable } from './request-stats.table.js';

/** The ledger's projection tables, unqualified (queries run `withSchema(schema)`, the event store's schema). */
export interface LedgerTables {
  clients: ClientsTable;
  count_groups: CountGroupsTable;
  request_stats: RequestStatsTable;
}

/** Projections plus the event store's tables (the restore reads `streams`). */
export type LedgerDatabase = LedgerTables & Pick<EventStoreTables, 'streams'>;

/** The ledger's tables, every one updated in place by each batch: what needs VACUUM. */
export const LEDGER_UPDATED_TABLES = ['clients', 'count_groups', 'request_stats'] as const satisfies readonly (keyof LedgerTables)[];
