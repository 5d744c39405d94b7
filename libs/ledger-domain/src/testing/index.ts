/**
 * Test data of the count group (`@kmsgrid/ledger-domain/testing`), for this
 * library's tests and the ledger service's. Never imported by production code.
 */
export * from './count-group.fixtures.js';
