import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test Postgres (trust auth, database `test`), as every int/e2e tier uses it. */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test uses: `e2e_<tag>_<random>`. */
export function uniqueSchema(tag: string): string {
  return `e2e_${tag.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
}

/** Runs one statement on a short-lived connection. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it (idempotent). */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^e2e_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop ${schema}: not an e2e schema`);
  await query(`drop schema if exists "${schema}" cascade`);
}
