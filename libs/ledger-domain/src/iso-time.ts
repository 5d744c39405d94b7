// Date#toISOString costs about a microsecond on Node 20, as much as the rest
// of a decision; requests come thousands a second, so consecutive ones share
// their second. Both helpers memoize (same input, same output), so they stay
// pure from the caller's point of view.

let cachedSecond = Number.NaN;
let cachedPrefix = '';
/** Years 0000..9999 have the fixed 24-character form `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
const MAX_FIXED_FORM_MS = 253_402_300_800_000;

/** `new Date(ms).toISOString()`, memoizing the part up to the second. */
export function isoFromMs(ms: number): string {
  if (!(ms >= 0 && ms < MAX_FIXED_FORM_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

let parsedString: string | null = null;
let parsedMs = 0;
/** `Date.parse(iso)`, remembering the last string (evolve applies the event decide has just built). */
export function msFromIso(iso: string): number {
  if (iso !== parsedString) {
    parsedMs = Date.parse(iso);
    parsedString = iso;
  }
  return parsedMs;
}
