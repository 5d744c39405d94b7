import { isIP, isIPv4 } from 'node:net';
import { EnvReader, parseHostPort, type Env } from '@kmsgrid/config';
import { nameProblem, type DnsServer } from '@kmsgrid/dns-client';
import { tsigAlgorithm, TSIG_ALGORITHMS, type TsigKey } from './wire/tsig.js';

/** One `KMSGRID_DNS_DOMAINS` entry (Microsoft's `DnsDomainPublishList` format: `domain, priority, weight`). */
export type DnsDomainConfig = Readonly<{ domain: string; priority: number; weight: number }>;

/** Everything the registrar needs; read it with {@link readDnsRegistrarConfig}. */
export type DnsRegistrarConfig = Readonly<{
  domains: readonly DnsDomainConfig[];
  server: DnsServer;
  key: TsigKey;
  /** FQDN clients connect to (canonical: lowercase, no trailing dot). */
  target: string;
  /** KMS port in the SRV record. */
  port: number;
  /** TTL of the published records, seconds. */
  ttl: number;
  /** A/AAAA of `target` to publish too (empty: publish only SRV). */
  addresses: readonly string[];
  /** Time between refreshes, milliseconds. */
  refreshMs: number;
}>;

/** Defaults (see README: the TTL is not documented by Microsoft; 1 h is our choice). */
export const DNS_DEFAULTS = { ttlSeconds: 3600, refreshSeconds: 86_400, kmsPort: 1688, dnsPort: 53 } as const;

const TSIG_HINT = `use algorithm:keyname:base64secret, e.g. hmac-sha256:kmsgrid-key:<secret from "tsig-keygen -a hmac-sha256 kmsgrid-key"> (algorithms: ${Object.keys(TSIG_ALGORITHMS).join(', ')})`;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const canonical = (s: string) => s.replace(/\.$/, '').toLowerCase();

/**
 * Reads the DNS publishing settings. Returns undefined when `KMSGRID_DNS_DOMAINS`
 * is unset or empty (publishing off, like `slmgr /cdns`). Throws ConfigError
 * with one line per problem otherwise; secrets are never echoed.
 *
 * @example const cfg = readDnsRegistrarConfig(process.env); if (cfg) startDnsRegistrar({ config: cfg, store });
 */
export function readDnsRegistrarConfig(env: Env): DnsRegistrarConfig | undefined {
  const r = new EnvReader(env);
  const domainsText = r.string('KMSGRID_DNS_DOMAINS');
  if (domainsText === undefined || domainsText.replace(/;/g, '').trim() === '') return undefined;

  const domains = parseDomains(r, domainsText);
  const server = parseServer(r, r.required('KMSGRID_DNS_SERVER', 'set it to the host:port of the DNS server that accepts dynamic updates for the domains, e.g. 192.0.2.53:53'));
  const key = parseTsig(r, r.required('KMSGRID_DNS_TSIG', TSIG_HINT));
  const target = parseTarget(r, r.required('KMSGRID_DNS_TARGET', 'set it to the fully qualified name clients connect to, e.g. kms1.example.com'));
  const port = r.integer('KMSGRID_DNS_PORT', defaultPort(r, env), 1, 65535);
  const ttl = r.integer('KMSGRID_DNS_TTL', DNS_DEFAULTS.ttlSeconds, 0, 2_147_483_647, 'seconds');
  // setTimeout holds at most 2^31-1 ms (24.8 days).
  const refreshSeconds = r.integer('KMSGRID_DNS_REFRESH', DNS_DEFAULTS.refreshSeconds, 60, 2_147_483, 'seconds');
  const addresses = parseAddresses(r, target, domains);
  return r.done({ domains, server, key, target, port, ttl, addresses, refreshMs: refreshSeconds * 1000 });
}

function parseDomains(r: EnvReader, text: string): DnsDomainConfig[] {
  const out: DnsDomainConfig[] = [];
  for (const entry of text.split(';').map((e) => e.trim()).filter((e) => e !== '')) {
    const parts = entry.split(',').map((p) => p.trim());
    const [domain = '', ...numbers] = parts;
    const problem = nameProblem(domain);
    if (problem) {
      r.problem(`KMSGRID_DNS_DOMAINS entry "${entry}" is invalid: ${problem}; use domain[,priority,weight] entries separated by ";", e.g. example.com,0,100;lab.example.com`);
      continue;
    }
    if (numbers.length > 2 || !numbers.every((n) => /^\d{1,5}$/.test(n) && Number(n) <= 65535)) {
      r.problem(`KMSGRID_DNS_DOMAINS entry "${entry}" is invalid: priority and weight are optional whole numbers from 0 to 65535 (default 0), as in example.com,10,50`);
      continue;
    }
    const name = canonical(domain);
    if (out.some((d) => d.domain === name)) {
      r.problem(`KMSGRID_DNS_DOMAINS lists ${name} twice: keep one entry per domain`);
      continue;
    }
    out.push({ domain: name, priority: Number(numbers[0] ?? 0), weight: Number(numbers[1] ?? 0) });
  }
  return out;
}

function parseServer(r: EnvReader, text: string): DnsServer {
  if (text === '') return { host: '', port: DNS_DEFAULTS.dnsPort };
  const hp = parseHostPort(text, '');
  if (hp && hp.host !== '' && hp.port > 0) return { host: hp.host.replace(/^\[|\]$/g, ''), port: hp.port };
  // A bare host or IPv6 address: the DNS port.
  if (isIP(text) !== 0 || nameProblem(text) === undefined) return { host: text, port: DNS_DEFAULTS.dnsPort };
  r.problem(`KMSGRID_DNS_SERVER=${text} is invalid: use host:port, [ipv6]:port or a bare host (port 53)`);
  return { host: '', port: DNS_DEFAULTS.dnsPort };
}

function parseTsig(r: EnvReader, text: string): TsigKey {
  const none: TsigKey = { name: 'invalid', algorithm: 'hmac-sha256', secret: Buffer.alloc(0) };
  if (text === '') return none;
  const first = text.indexOf(':');
  const second = text.indexOf(':', first + 1);
  if (first < 0 || second < 0) {
    r.problem(`KMSGRID_DNS_TSIG is invalid: it needs three parts separated by ":"; ${TSIG_HINT}`);
    return none;
  }
  const algText = text.slice(0, first);
  const name = text.slice(first + 1, second);
  const secretText = text.slice(second + 1).trim();
  const algorithm = tsigAlgorithm(algText);
  let ok = true;
  if (!algorithm) {
    r.problem(`KMSGRID_DNS_TSIG algorithm "${algText}" is not supported: use one of ${Object.keys(TSIG_ALGORITHMS).join(', ')} (as in the server's key statement)`);
    ok = false;
  }
  const nameIssue = nameProblem(name);
  if (nameIssue) {
    r.problem(`KMSGRID_DNS_TSIG key name "${name}" is invalid: ${nameIssue}; use the name of the server's key statement, e.g. kmsgrid-key`);
    ok = false;
  }
  const secret = Buffer.from(secretText, 'base64');
  if (!BASE64.test(secretText) || secret.length === 0 || secret.toString('base64').replace(/=+$/, '') !== secretText.replace(/=+$/, '')) {
    r.problem('KMSGRID_DNS_TSIG secret is not valid base64: copy the secret "..." of the server\'s key statement (tsig-keygen prints it)');
    ok = false;
  }
  return ok && algorithm ? { name: canonical(name), algorithm, secret } : none;
}

function parseTarget(r: EnvReader, text: string): string {
  if (text === '') return '';
  const problem = nameProblem(text);
  if (problem) {
    r.problem(`KMSGRID_DNS_TARGET=${text} is invalid: ${problem}; set it to the fully qualified name clients connect to`);
    return '';
  }
  const name = canonical(text);
  if (!name.includes('.')) {
    r.problem(`KMSGRID_DNS_TARGET=${text} is not fully qualified: use the full name clients connect to, e.g. ${name}.example.com`);
    return '';
  }
  return name;
}

function defaultPort(r: EnvReader, env: Env): number {
  const listen = env['KMSGRID_LISTEN']?.trim();
  if (!listen) return DNS_DEFAULTS.kmsPort;
  // The first listening address, if several are given.
  const a = parseHostPort(listen.split(',')[0] ?? '');
  if (a && a.port > 0) return a.port;
  if (r.string('KMSGRID_DNS_PORT') === undefined) r.problem(`KMSGRID_DNS_PORT is not set and KMSGRID_LISTEN=${listen} gives no port: set KMSGRID_DNS_PORT to the port clients connect to`);
  return DNS_DEFAULTS.kmsPort;
}

function parseAddresses(r: EnvReader, target: string, domains: readonly DnsDomainConfig[]): string[] {
  const text = r.string('KMSGRID_DNS_ADDRESSES');
  if (text === undefined) return [];
  const out: string[] = [];
  for (const a of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (isIP(a) === 0) r.problem(`KMSGRID_DNS_ADDRESSES entry "${a}" is not an IPv4 or IPv6 address: list the target's addresses separated by commas, e.g. 192.0.2.10,2001:db8::10`);
    else if (!out.includes(a)) out.push(a);
  }
  if (target !== '' && out.length > 0 && !addressDomain(target, domains)) {
    r.problem(`KMSGRID_DNS_ADDRESSES needs KMSGRID_DNS_TARGET (${target}) inside one of KMSGRID_DNS_DOMAINS (its A/AAAA are updated in that zone); remove KMSGRID_DNS_ADDRESSES or add the target's domain`);
  }
  // A before AAAA, so the records read in a stable order.
  return [...out.filter((a) => isIPv4(a)), ...out.filter((a) => !isIPv4(a))];
}

/** The configured domain whose zone holds the target's A/AAAA: the longest one the target is inside. */
export function addressDomain(target: string, domains: readonly DnsDomainConfig[]): string | undefined {
  return domains
    .map((d) => d.domain)
    .filter((d) => target === d || target.endsWith(`.${d}`))
    .sort((a, b) => b.length - a.length)[0];
}
