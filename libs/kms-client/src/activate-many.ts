import { activate, type ActivateOptions, type ActivateResult } from './client.js';

export interface ActivateManyOptions {
  /**
   * Runs of {@link activate} in flight at once (default: all of them). Each run
   * keeps its own `concurrency` for its connections.
   */
  readonly concurrency?: number;
}

/**
 * Runs {@link activate} once per entry, at most `concurrency` at a time, and
 * returns the results in input order. An entry is an `ActivateOptions` or just
 * a target (`'127.0.0.1:1688'`, default product and options). Like `activate`,
 * it never throws for network or protocol trouble: each result says what failed.
 *
 * Many connections with the same options are `activate({ connections, concurrency })`;
 * this is for different targets, products or clients side by side.
 *
 * @example
 * const rs = await activateMany(
 *   [{ target, product: 'Windows 10 Enterprise' }, { target, product: 'Office Professional Plus 2019' }],
 *   { concurrency: 2 },
 * );
 * rs.every((r) => r.ok);
 */
export async function activateMany(
  runs: readonly (ActivateOptions | string)[],
  options: ActivateManyOptions = {},
): Promise<ActivateResult[]> {
  const results: ActivateResult[] = new Array(runs.length);
  const wanted = options.concurrency ?? runs.length;
  const workers = Math.min(runs.length, Number.isFinite(wanted) ? Math.max(1, Math.floor(wanted)) : runs.length);
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const i = next++;
      const run = runs[i]!;
      results[i] = await activate(typeof run === 'string' ? { target: run } : run);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
