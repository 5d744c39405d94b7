/**
 * Test data of the activation policy (`@kmsgrid/policy-domain/testing`), for
 * this library's tests and the policy service's. Never imported by production code.
 */
export * from './fixtures.js';
