import { ConfigError, EnvReader, type Env } from '@kmsgrid/config';
import { DEFAULT_HOST_KEY_IDS, HOST_BUILDS, HOST_KEYS, findHostBuild, findHostKey, parseEpid } from '@kmsgrid/kms-catalog';
import { HWID_RE } from './host-key-identity.js';

/** Everything the activation policy is configured with (read once at start). */
export interface PolicyConfig {
  /** Host keys (CSVLK catalog ids) this host is "activated" with; order = preference when several cover a product. */
  readonly hostKeyIds: readonly string[];
  /** Minutes a not-yet-activated client waits before retrying (VLActivationInterval). */
  readonly activationInterval: number;
  /** Minutes an activated client waits before renewing (VLRenewalInterval). */
  readonly renewalInterval: number;
  /** Allowed |client clock - host clock| in minutes; `null` = not checked. */
  readonly clockToleranceMinutes: number | null;
  /** Operator ePIDs by host key id (KMSGRID_EPID_*). */
  readonly epidOverrides: Readonly<Record<string, string>>;
  /** Operator HWID (KMSGRID_HWID), 16 upper-case hex digits, or `null` to generate one. */
  readonly hwid: string | null;
  /** LCID of generated ePIDs. */
  readonly lcid: number;
  /** Host OS build of generated ePIDs, and its platform id from the catalog. */
  readonly hostBuild: number;
  readonly platformId: number;
}

/** Result of parsing: a config, or one line per problem, each saying what is wrong and how to fix it. */
export type ParsePolicyConfigResult =
  | { readonly ok: true; readonly config: PolicyConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

/** slmgr /sai and /sri bounds and defaults (kms-facts.md section 1). */
export const INTERVAL_MIN = 15;
export const INTERVAL_MAX = 43_200;
export const DEFAULT_ACTIVATION_INTERVAL = 120;
export const DEFAULT_RENEWAL_INTERVAL = 10_080;
/**
 * 4 hours: vlmcsd's window (src/kms.c, man/vlmcsd.8 -c1). Microsoft documents
 * 0xC004F06C but no number, so this default is UNVERIFIED against Microsoft.
 */
export const DEFAULT_CLOCK_TOLERANCE = 240;
export const DEFAULT_LCID = 1033;
/** Windows Server 2019 (platform id 03612 in the catalog's WinBuild data). */
export const DEFAULT_HOST_BUILD = 17_763;

/** Name of the variable holding the operator ePID of a host key: KMSGRID_EPID_<ID upper-case, non-alphanumerics as _>. */
export const epidVariableName = (hostKeyId: string): string =>
  `KMSGRID_EPID_${hostKeyId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

const EPID_PREFIX = 'KMSGRID_EPID_';

/**
 * Reads the policy configuration from an environment-like record.
 *
 * @example
 * const r = parsePolicyConfig(process.env);
 * if (!r.ok) { for (const line of r.errors) console.error(line); process.exit(2); }
 */
export function parsePolicyConfig(env: Env): ParsePolicyConfigResult {
  const r = new EnvReader(env);

  const hostKeyIds: string[] = [];
  const rawKeys = r.string('KMSGRID_HOST_KEYS');
  if (rawKeys === undefined) {
    hostKeyIds.push(...DEFAULT_HOST_KEY_IDS);
  } else {
    const unknown: string[] = [];
    for (const id of rawKeys.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      // findHostKey also accepts the CSVLK Activation ID; keep the stable id.
      const key = findHostKey(id);
      if (key === undefined) unknown.push(id);
      else if (!hostKeyIds.includes(key.id)) hostKeyIds.push(key.id);
    }
    const validKeys = HOST_KEYS.map((k) => k.id);
    if (unknown.length > 0) {
      r.problem(`KMSGRID_HOST_KEYS names unknown host key(s) ${unknown.join(', ')}: use comma-separated ids from ${validKeys.join(', ')}`);
    } else if (hostKeyIds.length === 0) {
      r.problem(`KMSGRID_HOST_KEYS is empty: list at least one host key id from ${validKeys.join(', ')}, or unset it for the defaults`);
    }
  }

  const activationInterval = r.integer('KMSGRID_ACTIVATION_INTERVAL', DEFAULT_ACTIVATION_INTERVAL, INTERVAL_MIN, INTERVAL_MAX, 'minutes');
  const renewalInterval = r.integer('KMSGRID_RENEWAL_INTERVAL', DEFAULT_RENEWAL_INTERVAL, INTERVAL_MIN, INTERVAL_MAX, 'minutes');

  let clockToleranceMinutes: number | null = DEFAULT_CLOCK_TOLERANCE;
  if (r.string('KMSGRID_CLOCK_TOLERANCE')?.toLowerCase() === 'off') {
    clockToleranceMinutes = null;
  } else {
    clockToleranceMinutes = r.integer('KMSGRID_CLOCK_TOLERANCE', DEFAULT_CLOCK_TOLERANCE, 1, 525_600, 'minutes, or off');
  }

  const epidOverrides: Record<string, string> = {};
  const expectedEpidVars = new Map(hostKeyIds.map((id) => [epidVariableName(id), id]));
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(EPID_PREFIX)) continue;
    const value = r.string(name);
    if (value === undefined) continue;
    const hostKeyId = expectedEpidVars.get(name);
    if (hostKeyId === undefined) {
      const expected = [...expectedEpidVars.keys()].join(', ') || '(none)';
      r.problem(`${name} matches no configured host key: use one of ${expected}, or add the host key to KMSGRID_HOST_KEYS`);
      continue;
    }
    const parsed = parseEpid(value);
    if (!parsed.ok) {
      r.problem(`${name}=${value} is not a valid ePID (${parsed.error.reason}): use PPPPP-GGGGG-KKK-KKKKKK-03-LCID-BUILD.0000-DDDYYYY, e.g. 03612-00206-556-123456-03-1033-17763.0000-0012026`);
      continue;
    }
    epidOverrides[hostKeyId] = value;
  }

  let hwid: string | null = null;
  const rawHwid = r.string('KMSGRID_HWID');
  if (rawHwid !== undefined) {
    if (HWID_RE.test(rawHwid)) hwid = rawHwid.toUpperCase();
    else r.problem(`KMSGRID_HWID=${rawHwid} is invalid: use exactly 16 hex digits (8 bytes), e.g. 3A1C049600B60076, or unset it to generate one`);
  }

  const lcid = r.integer('KMSGRID_LCID', DEFAULT_LCID, 1, 0xffff, 'Windows locale id, 1033 = en-US');
  const hostBuild = r.integer('KMSGRID_HOST_BUILD', DEFAULT_HOST_BUILD, 1, 99_999, 'Windows build number');
  let platformId = findHostBuild(hostBuild)?.platformId;
  if (platformId === undefined) {
    const suggested = HOST_BUILDS.filter((b) => b.useForEpid).map((b) => b.build);
    r.problem(`KMSGRID_HOST_BUILD=${hostBuild} is not a Windows build the catalog knows: use a server build such as ${suggested.join(', ')} (default ${DEFAULT_HOST_BUILD})`);
    platformId = 0;
  }

  try {
    return {
      ok: true,
      config: r.done({
        hostKeyIds,
        activationInterval,
        renewalInterval,
        clockToleranceMinutes,
        epidOverrides,
        hwid,
        lcid,
        hostBuild,
        platformId,
      }),
    };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, errors: e.problems };
    throw e;
  }
}
