import { randomInt, randomUUID } from 'node:crypto';
import type { Guid } from './protocol.js';

// Plausible names of domain-joined Windows machines: Windows' default DESKTOP-/WIN- names or
// site-role-number names, under documentation-style domains. vlmcs also sends random FQDNs;
// a KMS host treats the name as a log comment only (vlmcs.1, -w).
const PREFIXES = ['DESKTOP', 'WIN', 'LAPTOP', 'PC', 'WS'] as const;
const ROLES = ['fin', 'hr', 'dev', 'ops', 'lab', 'sales', 'it', 'eng'] as const;
const DOMAINS = [
  'corp.contoso.com',
  'ad.fabrikam.com',
  'northwindtraders.com',
  'corp.adatum.com',
  'tailspintoys.com',
  'example.org',
  'office.woodgrovebank.com',
] as const;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;

/** A random workstation FQDN such as `DESKTOP-7F3K2QA.corp.contoso.com` (at most 63 characters). */
export function randomWorkstationName(): string {
  let host: string;
  if (randomInt(3) === 0) {
    host = `${pick(ROLES)}-${String(randomInt(1, 1000)).padStart(3, '0')}`;
  } else {
    let tail = '';
    for (let i = 0; i < 7; i++) tail += ALNUM[randomInt(ALNUM.length)];
    host = `${pick(PREFIXES)}-${tail}`;
  }
  return `${host}.${pick(DOMAINS)}`;
}

/** A random RFC 4122 version-4 GUID (what Windows uses for a CMID). */
export const randomGuidV4 = (): Guid => randomUUID() as Guid;
