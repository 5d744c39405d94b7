/**
 * Extended PID (ePID) of a KMS host, the `KmsPID` of every response
 * (kms-facts.md section 8): `PPPPP-GGGGG-KKK-KKKKKK-03-LCID-BUILD.0000-DDDYYYY`
 * = platform id, CSVLK group id, key id (3 + 6 digits), license channel
 * (03 = volume), LCID, host OS build, day of year and year of host activation.
 * Example from Microsoft's `/dli` output: `55041-00140-015-871562-03-1033-7078.0000-0992009`.
 */
export interface EpidParts {
  readonly platformId: number;
  readonly groupId: number;
  readonly keyId: number;
  readonly channel: number;
  readonly lcid: number;
  readonly hostBuild: number;
  readonly dayOfYear: number;
  readonly year: number;
}

const EPID_RE = /^(\d{5})-(\d{5})-(\d{3})-(\d{6})-(\d{2})-(\d{1,5})-(\d{4,5})\.0000-(\d{3})(\d{4})$/;

/** The volume license channel, the only one a KMS host has. */
export const VOLUME_CHANNEL = 3;

/** Parses an ePID; `null` when it is not of the documented shape (or its day of year is outside 1..366). */
export function parseEpid(text: string): EpidParts | null {
  const m = EPID_RE.exec(text);
  if (!m) return null;
  const n = m.slice(1).map(Number);
  const [platformId, groupId, keyHigh, keyLow, channel, lcid, hostBuild, dayOfYear, year] = n as [
    number, number, number, number, number, number, number, number, number,
  ];
  if (dayOfYear < 1 || dayOfYear > 366) return null;
  return { platformId, groupId, keyId: keyHigh * 1_000_000 + keyLow, channel, lcid, hostBuild, dayOfYear, year };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Formats ePID parts.
 *
 * @example formatEpidParts({ platformId: 3612, groupId: 206, keyId: 551000000, channel: 3, lcid: 1033, hostBuild: 17763, dayOfYear: 5, year: 2026 })
 *   // '03612-00206-551-000000-03-1033-17763.0000-0052026'
 */
export function formatEpidParts(p: EpidParts): string {
  const key = pad(p.keyId, 9);
  return (
    `${pad(p.platformId, 5)}-${pad(p.groupId, 5)}-${key.slice(0, 3)}-${key.slice(3)}-${pad(p.channel, 2)}` +
    `-${p.lcid}-${p.hostBuild}.0000-${pad(p.dayOfYear, 3)}${pad(p.year, 4)}`
  );
}

/** Day of the year (1..366) of a date, in UTC. */
export function utcDayOfYear(d: Date): number {
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - start) / 86_400_000) + 1;
}

/** 8-byte host hardware id of v6 responses, as 16 hex digits. */
export const HWID_RE = /^[0-9A-Fa-f]{16}$/;
