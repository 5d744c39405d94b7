import type { CountGroupEvent } from '../count-group.events.js';

/**
 * A read model as a pure evolve function over rows: the service loads the
 * row named by `keyOf(event)`, applies `evolve` and stores the result, in the
 * same transaction as the event or from the outbox. Rebuilding = folding all
 * events from null rows.
 */
export type Projection<Row, Key> = Readonly<{
  name: string;
  /** The row an event changes, or null when it changes none. */
  keyOf: (event: CountGroupEvent) => Key | null;
  /** The row after the event; `row` is null when it does not exist yet (and stays null for an event of no row). Never mutates `row`. */
  evolve: (row: Row | null, event: CountGroupEvent) => Row | null;
  /**
   * The stored row combined with a delta: `merge(stored, fold(null, events))`
   * equals `fold(stored, events)` for any events of the same key. This lets a
   * writer fold a batch without reading the stored rows and let the database
   * combine them (the ledger's upserts mirror these functions in SQL).
   */
  merge: (stored: Row, delta: Row) => Row;
}>;
