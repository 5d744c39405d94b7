import { embeddedPglite } from './testing/backends.js';
import { ledgerServiceSuite } from './testing/ledger-service.suite.js';

// The shared suite on embedded PGlite served by pglite-socket (pool of one, plus one connection for the writer lock).
ledgerServiceSuite(embeddedPglite);
