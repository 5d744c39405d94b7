/**
 * ePID layout used by KMS hosts (and both public emulators):
 * `PPPPP-GGGGG-KKK-KKKKKK-03-LCID-BUILD.0000-DDDYYYY` = platform ID, CSVLK group ID,
 * key ID (3 + 6 digits), license channel 03 (volume), LCID, host build, and the
 * day of year + year of host activation. Example from Microsoft's `/dli` output:
 * `55041-00140-015-871562-03-1033-7078.0000-0992009`.
 */
const EPID_RE = /^\d{5}-\d{5}-\d{3}-\d{6}-03-(\d{1,5})-\d{1,5}\.0000-(\d{3})\d{4}$/;

/** Whether `epid` has the KMS ePID format (LCID 1..65535, day of year 1..366). */
export function isValidEpid(epid: string): boolean {
  const m = EPID_RE.exec(epid);
  if (!m) return false;
  const lcid = Number(m[1]);
  const day = Number(m[2]);
  return lcid >= 1 && lcid <= 0xffff && day >= 1 && day <= 366;
}
