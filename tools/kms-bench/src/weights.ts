/** A weighted choice among named options, as given on the command line (`v4:1,v5:1,v6:2`). */
export interface WeightedMix<K extends string> {
  readonly entries: readonly { readonly key: K; readonly weight: number }[];
  readonly total: number;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * Parses `key:weight,key:weight` over the allowed keys. A bare key means weight 1;
 * weights are non-negative numbers, at least one must be positive, and a key may
 * appear once. Keys missing from the text get weight 0.
 *
 * @example parseMix('v4:1,v6:2', ['v4', 'v5', 'v6']) // v4 1/3, v6 2/3
 */
export function parseMix<K extends string>(text: string, allowed: readonly K[]): ParseResult<WeightedMix<K>> {
  const entries: { key: K; weight: number }[] = [];
  const seen = new Set<string>();
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) return { ok: false, message: 'empty mix' };
  for (const part of parts) {
    if (part === '') return { ok: false, message: `empty item in ${JSON.stringify(text)}` };
    const colon = part.indexOf(':');
    const key = (colon < 0 ? part : part.slice(0, colon)).trim().toLowerCase();
    const weightText = colon < 0 ? '1' : part.slice(colon + 1).trim();
    if (!(allowed as readonly string[]).includes(key)) {
      return { ok: false, message: `unknown ${JSON.stringify(key)} (use ${allowed.join(', ')})` };
    }
    if (seen.has(key)) return { ok: false, message: `${key} given twice` };
    seen.add(key);
    const weight = /^\d+(\.\d+)?$/.test(weightText) ? Number(weightText) : NaN;
    if (!Number.isFinite(weight)) return { ok: false, message: `weight of ${key} must be a non-negative number, got ${JSON.stringify(weightText)}` };
    if (weight > 0) entries.push({ key: key as K, weight });
  }
  const total = entries.reduce((s, e) => s + e.weight, 0);
  if (total <= 0) return { ok: false, message: `every weight in ${JSON.stringify(text)} is zero` };
  return { ok: true, value: { entries, total } };
}

/** `v4:1,v6:2` back from a mix (weights as given, zero weights omitted). */
export function formatMix<K extends string>(mix: WeightedMix<K>): string {
  return mix.entries.map((e) => `${e.key}:${e.weight}`).join(',');
}

/**
 * The key whose cumulative weight range holds `u` (uniform in [0, 1)). Pure, so a
 * slot's attributes follow from its hash alone.
 */
export function pickWeighted<K extends string>(mix: WeightedMix<K>, u: number): K {
  let x = u * mix.total;
  for (const e of mix.entries) {
    if (x < e.weight) return e.key;
    x -= e.weight;
  }
  return mix.entries[mix.entries.length - 1]!.key;
}
