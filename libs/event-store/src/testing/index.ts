/**
 * Test helpers of the event store (`@kmsgrid/event-store/testing`), for the
 * int tests of this library and of the services built on it. Never imported
 * by product code.
 */
export { realPostgres, embeddedPglite, embeddedPgliteDirect, throwawaySchema } from './backends.js';
export type { DbBackend, TestBackend } from './backends.js';
export { mountTestVolume } from './volume.js';
export type { TestVolume } from './volume.js';
