import type { Kysely } from 'kysely';

/**
 * A kysely instance or transaction over any database (kysely's own idiom for
 * schema-agnostic code: migrations, and the caller's transactions we append in).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>;
