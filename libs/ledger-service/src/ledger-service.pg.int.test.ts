import { realPostgres } from './testing/backends.js';
import { ledgerServiceSuite } from './testing/ledger-service.suite.js';

// The shared suite on the machine's Postgres, one throwaway schema per scenario.
ledgerServiceSuite(realPostgres);
