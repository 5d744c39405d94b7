import { embeddedPgliteDirect } from './testing/backends.js';
import { eventStoreSuite } from './testing/event-store.suite.js';

// The same suite against embedded PGlite reached in-process through PgliteDialect, on a worker thread, as the
// all-in-one runs it (the dialect on this thread is covered by pglite-dialect.int.test.ts).
eventStoreSuite(embeddedPgliteDirect);
