import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../wire/hex.js';

/**
 * The captured vlmcs <-> vlmcsd exchanges (golden data, copied from
 * ../shared/vectors so the repository tests on its own). Test-only helper.
 */
export interface CapturedPdu {
  readonly dir: 'C' | 'S';
  readonly bytes: Uint8Array;
}
export interface CapturedExchange {
  readonly name: string;
  readonly pdus: readonly CapturedPdu[];
}

export const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/vectors');

export function loadVector(name: string): CapturedExchange {
  const text = readFileSync(join(VECTORS_DIR, `${name}.hex`), 'utf8');
  const pdus: CapturedPdu[] = [];
  for (const line of text.split('\n')) {
    const m = /^([CS]) ([0-9a-f]+)\s*$/i.exec(line);
    if (m) pdus.push({ dir: m[1] as 'C' | 'S', bytes: fromHex(m[2]!) });
  }
  return { name, pdus };
}

export function loadAllVectors(): CapturedExchange[] {
  return readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => loadVector(f.slice(0, -4)));
}

/** The whole client->server (or server->client) byte stream of an exchange. */
export function streamOf(x: CapturedExchange, dir: 'C' | 'S'): Uint8Array {
  return Buffer.concat(x.pdus.filter((p) => p.dir === dir).map((p) => p.bytes));
}
