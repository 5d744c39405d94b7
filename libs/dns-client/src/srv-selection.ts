/** The SRV fields that matter for choosing a host (RFC 2782). */
export type SrvTarget = Readonly<{ priority: number; weight: number; port: number; target: string }>;

/**
 * Orders SRV records the way RFC 2782 ("Usage rules") says a client tries
 * them: lowest priority first; inside one priority, a weighted random order
 * where a record of weight w is picked next with probability w / (sum of the
 * weights left), weight-0 records having a small chance (they are placed
 * first in the running sum, as the RFC prescribes). A lone target of "." means
 * the service is not offered: it is dropped. `random` returns [0, 1) (inject it in tests).
 *
 * @example orderSrvRecords(records)[0] // the host to try first
 */
export function orderSrvRecords<T extends SrvTarget>(records: readonly T[], random: () => number = Math.random): T[] {
  const usable = records.filter((r) => r.target !== '' && r.target !== '.');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: T[] = [];
  for (const p of priorities) {
    // Weight-0 records first; the others keep the order they came in.
    const left = usable.filter((r) => r.priority === p).sort((a, b) => Number(a.weight !== 0) - Number(b.weight !== 0));
    while (left.length > 0) {
      const total = left.reduce((s, r) => s + r.weight, 0);
      // A uniform integer in [0, total], as the RFC's "between 0 and the sum, inclusive".
      const pick = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      let chosen = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        running += left[i]!.weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push(left.splice(chosen, 1)[0]!);
    }
  }
  return out;
}
