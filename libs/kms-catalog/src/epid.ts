// Extended PID (ePID) a KMS host returns: PPPPP-GGGGG-KKK-KKKKKK-03-LCID-BUILD.0000-DDDYYYY
// (kms-facts §8; vlmcsd src/kms.c, py-kms pykms_PidGenerator.py). Field widths: platform and
// group %05u, key id split %03u/%06u, channel literal 03 (volume), LCID and build unpadded,
// day-of-year 1-based %03u, year %04u.
import { findHostBuild, findHostKey } from './lookup.js';
import { err, ok, type CatalogResult } from './errors.js';
import type { HostKey, KeyIdBlock } from './types.js';

/** The numbers an ePID is made of. */
export interface EpidParts {
  readonly platformId: number;
  readonly groupId: number;
  readonly keyId: number;
  readonly lcid: number;
  readonly build: number;
  /** 1-based day of the year the host key was activated. */
  readonly dayOfYear: number;
  readonly year: number;
}

/** Parsed ePID, including the license channel field (always 03 for a KMS host). */
export interface ParsedEpid extends EpidParts {
  readonly channel: string;
}

const intIn = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max;
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function checkParts(p: EpidParts): CatalogResult<EpidParts> {
  const fields: [keyof EpidParts, number, number][] = [
    ['platformId', 0, 99999],
    ['groupId', 0, 99999],
    ['keyId', 0, 999999999],
    ['lcid', 1, 65535],
    ['build', 1, 99999],
    ['year', 1000, 9999],
  ];
  for (const [name, min, max] of fields) {
    if (!intIn(p[name], min, max)) return err('EPID_FIELD', `${name} must be an integer in ${min}..${max}, got ${String(p[name])}`);
  }
  const days = isLeap(p.year) ? 366 : 365;
  if (!intIn(p.dayOfYear, 1, days)) return err('EPID_FIELD', `dayOfYear must be an integer in 1..${days} for ${p.year}, got ${String(p.dayOfYear)}`);
  return ok(p);
}

/**
 * Formats an ePID.
 * @example formatEpid({ platformId: 3612, groupId: 206, keyId: 556123727, lcid: 1033, build: 17763, dayOfYear: 297, year: 2018 })
 *   // → { ok: true, value: '03612-00206-556-123727-03-1033-17763.0000-2972018' }
 */
export function formatEpid(parts: EpidParts): CatalogResult<string> {
  const checked = checkParts(parts);
  if (!checked.ok) return checked;
  const p = parts;
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  return ok(
    `${pad(p.platformId, 5)}-${pad(p.groupId, 5)}-${pad(Math.floor(p.keyId / 1e6), 3)}-${pad(p.keyId % 1e6, 6)}-03-${p.lcid}-${p.build}.0000-${pad(p.dayOfYear, 3)}${pad(p.year, 4)}`,
  );
}

const EPID_RE = /^(\d{5})-(\d{5})-(\d{3})-(\d{6})-(\d{2})-(\d{1,5})-(\d{1,5})\.0000-(\d{3})(\d{4})$/;

/** Parses an ePID (e.g. one an operator configured); checks field ranges like {@link formatEpid}. */
export function parseEpid(text: string): CatalogResult<ParsedEpid> {
  const m = EPID_RE.exec(text.trim());
  if (m === null) return err('EPID_FORMAT', `not an ePID (PPPPP-GGGGG-KKK-KKKKKK-CC-LCID-BUILD.0000-DDDYYYY): ${JSON.stringify(text)}`);
  const n = (i: number): number => Number.parseInt(m[i] ?? '', 10);
  const parts: EpidParts = { platformId: n(1), groupId: n(2), keyId: n(3) * 1e6 + n(4), lcid: n(6), build: n(7), dayOfYear: n(8), year: n(9) };
  const checked = checkParts(parts);
  return checked.ok ? ok({ ...parts, channel: m[5] ?? '' }) : checked;
}

/** 1-based UTC day of year and year of `date`, for the ePID's DDDYYYY field. */
export function epidDateParts(date: Date): { readonly dayOfYear: number; readonly year: number } {
  const year = date.getUTCFullYear();
  const dayOfYear = Math.floor((Date.UTC(year, date.getUTCMonth(), date.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  return { dayOfYear, year };
}

/** True when `keyId` lies in one of the blocks. */
export const keyIdInBlocks = (keyId: number, blocks: readonly KeyIdBlock[]): boolean => blocks.some((b) => keyId >= b.start && keyId <= b.end);

/**
 * Maps a uniform number `u` in [0, 1) onto the valid key ids of `blocks` (all ids equally
 * likely), so the caller supplies the randomness and this stays pure.
 */
export function keyIdFromUniform(blocks: readonly KeyIdBlock[], u: number): number {
  const total = blocks.reduce((s, b) => s + (b.end - b.start + 1), 0);
  let offset = Math.min(Math.max(Math.floor((Number.isFinite(u) ? u : 0) * total), 0), total - 1);
  for (const b of blocks) {
    const size = b.end - b.start + 1;
    if (offset < size) return b.start + offset;
    offset -= size;
  }
  return blocks[0]?.start ?? 0;
}

/** What {@link epidForHostKey} needs besides the host key. */
export interface HostEpidOptions {
  readonly keyId: number;
  readonly lcid: number;
  readonly activationDate: Date;
  /** Host OS build; defaults to the host key's `epid.defaultHostBuild`. */
  readonly hostBuild?: number;
}

/**
 * A well-formed ePID for a configured host key: its group id, a key id from its valid blocks,
 * the platform id of the host build (HOST_BUILDS) and the activation date.
 */
export function epidForHostKey(hostKey: HostKey | string, options: HostEpidOptions): CatalogResult<string> {
  const key = typeof hostKey === 'string' ? findHostKey(hostKey) : hostKey;
  if (key === undefined) return err('UNKNOWN_HOST_KEY', `no host key ${JSON.stringify(hostKey)}`);
  if (!keyIdInBlocks(options.keyId, key.epid.keyIdBlocks)) {
    const ranges = key.epid.keyIdBlocks.map((b) => `${b.start}..${b.end}`).join(', ');
    return err('KEY_ID_RANGE', `key id ${options.keyId} is outside ${key.id}'s blocks ${ranges}`);
  }
  const buildNumber = options.hostBuild ?? key.epid.defaultHostBuild;
  const build = findHostBuild(buildNumber);
  if (build === undefined) return err('UNKNOWN_HOST_BUILD', `no platform id known for Windows build ${buildNumber}`);
  if (Number.isNaN(options.activationDate.getTime())) return err('EPID_FIELD', 'activationDate is not a valid date');
  return formatEpid({ platformId: build.platformId, groupId: key.epid.groupId, keyId: options.keyId, lcid: options.lcid, build: build.build, ...epidDateParts(options.activationDate) });
}
