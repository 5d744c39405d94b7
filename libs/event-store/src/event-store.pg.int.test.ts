import { realPostgres } from './testing/backends.js';
import { eventStoreSuite } from './testing/event-store.suite.js';

// The shared suite against the machine's Postgres (trust auth, db `test`), one throwaway schema per store.
eventStoreSuite(realPostgres);
