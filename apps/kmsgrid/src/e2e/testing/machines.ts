import { activate, randomGuidV4, type ActivateOptions, type RequestOutcome } from '@kmsgrid/kms-client';
import { findProductByName, type Sku } from '@kmsgrid/kms-catalog';
import { parseGuid, type Guid } from '@kmsgrid/kms-protocol';

/** One simulated KMS client machine: its own CMID and workstation name, one product. */
export interface Machine {
  /** Product name (display; also what the client resolves unless `skuId` is set). */
  readonly product: string;
  /** Exact SKU (Activation ID) to send, when a name could be ambiguous. */
  readonly skuId?: Guid;
  readonly cmid: ReturnType<typeof randomGuidV4>;
  readonly workstation: string;
  /** The KMS item's N-policy (25 client OS, 5 server OS and Office). */
  readonly nPolicy: number;
}

/** `count` machines of one product, named `<prefix>-<i>.e2e.test`. */
export function machines(product: string, count: number, prefix: string): Machine[] {
  const match = findProductByName(product);
  if (match === undefined) throw new Error(`the catalog does not know ${product}`);
  return Array.from({ length: count }, (_, i) => ({
    product,
    cmid: randomGuidV4(),
    workstation: `${prefix}-${i + 1}.e2e.test`,
    nPolicy: match.kmsItem.nPolicy,
  }));
}

/** One machine per SKU, each sending exactly that SKU (and its KMS item and application). */
export function machinesForSkus(skus: readonly Sku[], prefix: string, nPolicyOf: (sku: Sku) => number): Machine[] {
  return skus.map((sku, i) => ({
    product: sku.name,
    skuId: parseGuid(sku.id),
    cmid: randomGuidV4(),
    workstation: `${prefix}-${i + 1}.e2e.test`,
    nPolicy: nPolicyOf(sku),
  }));
}

/** What one request of a machine got back. */
export interface Answer {
  readonly machine: Machine;
  /** `activated` (a response: count and intervals), `hresult` (refused), or a failure kind. */
  readonly status: RequestOutcome['status'] | 'no-request';
  readonly count?: number;
  readonly hresult?: number;
  readonly outcome?: RequestOutcome;
  /** Why the request failed, when it did not get a response or an HRESULT. */
  readonly failure?: string;
}

/** True when the machine would activate on this answer: a response whose count meets its N-policy. */
export const activates = (a: Answer): boolean => a.status === 'activated' && (a.count ?? 0) >= a.machine.nPolicy;

/**
 * One request of a machine: a new connection, bind, one KMS request with the
 * machine's CMID and workstation, its clock at `now` (default: the real time).
 */
export async function ask(target: string, machine: Machine, opts: { now?: Date } & Partial<ActivateOptions> = {}): Promise<Answer> {
  const { now, ...rest } = opts;
  const r = await activate({
    target,
    ...(machine.skuId === undefined ? { product: machine.product } : { skuId: machine.skuId }),
    cmid: machine.cmid,
    workstation: machine.workstation,
    fresh: () => ({ cmid: machine.cmid, workstation: machine.workstation, now: now ?? new Date() }),
    ...rest,
  });
  const outcome = r.connections[0]?.requests[0];
  if (outcome === undefined) return { machine, status: 'no-request', failure: r.failure?.message ?? 'no request sent' };
  return {
    machine,
    status: outcome.status,
    outcome,
    ...(outcome.response && { count: outcome.response.count }),
    ...(outcome.hresult !== undefined && { hresult: outcome.hresult }),
    ...(outcome.failure && { failure: outcome.failure.message }),
  };
}

/** Runs `fn` over `items` with at most `concurrency` at once; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Every machine asks once (at most `concurrency` at a time, as machines do independently). */
export function askAll(target: string | ((i: number) => string), ms: readonly Machine[], opts: { now?: Date; concurrency?: number } = {}): Promise<Answer[]> {
  const { concurrency = 4, ...rest } = opts;
  return mapConcurrent(ms, concurrency, (m, i) => ask(typeof target === 'string' ? target : target(i), m, rest));
}

/**
 * Table 1 of the seed: each machine asks, then retries once (clients retry every
 * 2 hours in grace; here the retry is immediate, which the 30-day window
 * cannot tell apart). Returns both rounds.
 */
export async function askAndRetry(
  target: string | ((i: number) => string),
  ms: readonly Machine[],
  opts: { concurrency?: number } = {},
): Promise<{ first: Answer[]; retry: Answer[] }> {
  const first = await askAll(target, ms, opts);
  const retry = await askAll(target, ms, opts);
  return { first, retry };
}

/** A readable line per failed answer (for assertion messages). */
export function describeAnswers(answers: readonly Answer[]): string {
  return answers
    .map((a) => `${a.machine.workstation} ${a.machine.product}: ${a.status}${a.count !== undefined ? ` count ${a.count}` : ''}${a.hresult !== undefined ? ` 0x${a.hresult.toString(16)}` : ''}${a.failure ? ` (${a.failure})` : ''}`)
    .join('\n');
}
