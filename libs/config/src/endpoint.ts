import { isIP } from 'node:net';

export type EndpointParse =
  | { readonly ok: true; readonly host: string; readonly port: number }
  | { readonly ok: false; readonly message: string };

/**
 * Parses where to connect as command lines give it: `host:port`,
 * `[ipv6]:port`, a bare host, or a bare IPv6 address (more than one colon, no
 * brackets), the last two on `defaultPort`. The host may be a name.
 *
 * @example parseEndpoint('[::1]:1688', 1688, 'target') // { ok: true, host: '::1', port: 1688 }
 */
export function parseEndpoint(text: string, defaultPort: number, what: string): EndpointParse {
  const s = text.trim();
  if (s === '') return { ok: false, message: `empty ${what}` };
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
  } else if (s.includes(':') && s.indexOf(':') === s.lastIndexOf(':')) {
    host = s.slice(0, s.indexOf(':'));
    portText = s.slice(s.indexOf(':') + 1);
  } else if (s.includes(':') && isIP(s) !== 6) {
    return { ok: false, message: `${JSON.stringify(text)} is neither host:port nor an IPv6 address` };
  }
  if (host === '') return { ok: false, message: `no host in ${JSON.stringify(text)}` };
  if (portText === undefined) return { ok: true, host, port: defaultPort };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return { ok: false, message: `bad port ${JSON.stringify(portText)} (1..65535)` };
  return { ok: true, host, port };
}
