import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { formatHostPort, parseEndpoint } from '@kmsgrid/config';
import type { DnsServer } from './exchange.js';

/** The DNS port (RFC 1035 §4.2). */
export const DEFAULT_DNS_PORT = 53;

/** Where the system's resolver configuration lives on Linux and the BSDs (resolv.conf(5)). */
export const RESOLV_CONF = '/etc/resolv.conf';

export type DnsServerParse = { readonly ok: true; readonly server: DnsServer } | { readonly ok: false; readonly message: string };

/** `host:port`, with brackets around IPv6 hosts. */
export const formatDnsServer: (s: DnsServer) => string = formatHostPort;

/**
 * Parses a DNS server as given on a command line: `host:port`, `[ipv6]:port`,
 * a bare host or a bare IPv6 address (port 53). The host may be a name.
 *
 * @example parseDnsServer('127.0.0.1:5353') // { ok: true, server: { host: '127.0.0.1', port: 5353 } }
 */
export function parseDnsServer(text: string): DnsServerParse {
  const r = parseEndpoint(text, DEFAULT_DNS_PORT, 'DNS server');
  return r.ok ? { ok: true, server: { host: r.host, port: r.port } } : r;
}

/**
 * The first `nameserver` of a resolv.conf text, on port 53, or undefined when
 * there is none. Comments start with `#` or `;`; an IPv6 zone (`%eth0`) is kept.
 *
 * @example readResolvConf('nameserver 192.0.2.53\n') // { host: '192.0.2.53', port: 53 }
 */
export function readResolvConf(text: string): DnsServer | undefined {
  for (const raw of text.split('\n')) {
    const [keyword, address] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    if (isIP(address.replace(/%.*$/, '')) !== 0) return { host: address, port: DEFAULT_DNS_PORT };
  }
  return undefined;
}

/** The system's DNS server and where it came from (for the client's report). */
export type SystemDnsServer = Readonly<{ server: DnsServer; source: string }>;

/**
 * The server the system resolver asks first: the first `nameserver` of
 * /etc/resolv.conf, port 53. Without one (or without the file) the local
 * machine, 127.0.0.1:53, as resolv.conf(5) specifies. Never rejects.
 */
export async function systemDnsServer(path: string = RESOLV_CONF): Promise<SystemDnsServer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { server: { host: '127.0.0.1', port: DEFAULT_DNS_PORT }, source: `the local machine (cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const server = readResolvConf(text);
  return server ? { server, source: path } : { server: { host: '127.0.0.1', port: DEFAULT_DNS_PORT }, source: `the local machine (no nameserver in ${path})` };
}
