import { embeddedPgliteDirect } from './testing/backends.js';
import { eventStoreSuite } from './testing/event-store.suite.js';

// The same suite against embedded PGlite reached in-process through PgliteDialect, as the all-in-one runs it.
eventStoreSuite(embeddedPgliteDirect);
