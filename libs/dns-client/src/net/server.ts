import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { DnsServer } from './exchange.js';

/** The DNS port (RFC 1035 §4.2). */
export const DEFAULT_DNS_PORT = 53;

/** Where the system's resolver configuration lives on Linux and the BSDs (resolv.conf(5)). */
export const RESOLV_CONF = '/etc/resolv.conf';

export type DnsServerParse = { readonly ok: true; readonly server: DnsServer } | { readonly ok: false; readonly message: string };

/** `host:port`, with brackets around IPv6 hosts. */
export const formatDnsServer = (s: DnsServer): string => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

/**
 * Parses a DNS server as given on a command line: `host:port`, `[ipv6]:port`,
 * a bare host or a bare IPv6 address (port 53). The host may be a name.
 *
 * @example parseDnsServer('127.0.0.1:5353') // { ok: true, server: { host: '127.0.0.1', port: 5353 } }
 */
export function parseDnsServer(text: string): DnsServerParse {
  const s = text.trim();
  if (s === '') return { ok: false, message: 'empty DNS server' };
  let host = s;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { ok: false, message: `missing ']' in ${JSON.stringify(text)}` };
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { ok: false, message: `unexpected ${JSON.stringify(rest)} after ']'` };
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) return { ok: false, message: `${JSON.stringify(host)} in brackets is not an IPv6 address` };
  } else if (s.indexOf(':') >= 0 && s.indexOf(':') === s.lastIndexOf(':')) {
    host = s.slice(0, s.indexOf(':'));
    portText = s.slice(s.indexOf(':') + 1);
  } else if (s.includes(':') && isIP(s) !== 6) {
    return { ok: false, message: `${JSON.stringify(text)} is neither host:port nor an IPv6 address` };
  }
  if (host === '') return { ok: false, message: `no host in ${JSON.stringify(text)}` };
  if (portText === undefined) return { ok: true, server: { host, port: DEFAULT_DNS_PORT } };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return { ok: false, message: `bad port ${JSON.stringify(portText)} (1..65535)` };
  return { ok: true, server: { host, port } };
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
