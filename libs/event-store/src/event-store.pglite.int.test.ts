import { embeddedPglite } from './testing/backends.js';
import { eventStoreSuite } from './testing/event-store.suite.js';

// The same suite against embedded PGlite served by pglite-socket (pool of one connection).
eventStoreSuite(embeddedPglite);
