/** Exponential backoff settings (milliseconds). */
export type BackoffOptions = Readonly<{ initialMs?: number; maxMs?: number; factor?: number }>;

/**
 * Delay before retry number `failures` (1 = first retry): `initial * factor^(n-1)`
 * capped at `max`, with "equal jitter" (half fixed, half random) so many
 * relays recovering from one NATS outage do not retry in lockstep.
 */
export function backoffDelay(failures: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 100;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const n = Math.max(1, Math.floor(failures));
  const base = Math.min(max, initial * factor ** Math.min(n - 1, 64));
  return Math.round(base / 2 + (base / 2) * random());
}
