/** Where the client connects: `host:port`, `[v6]:port`, a bare host, or a bare IPv6 address. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

/** TCP port of the KMS service (Microsoft's default, `slmgr /sprt`). */
export const DEFAULT_KMS_PORT = 1688;

export type TargetParse = { readonly ok: true; readonly target: Target } | { readonly ok: false; readonly message: string };

const parsePort = (text: string): number | undefined => {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
};

/**
 * Parses a target as vlmcs does: `host[:port]`, `[ipv6][:port]`; an address with
 * more than one colon and no brackets is a bare IPv6 address on the default port.
 * @example parseTarget('[::1]:1688') // { ok: true, target: { host: '::1', port: 1688 } }
 */
export function parseTarget(text: string): TargetParse {
  const s = text.trim();
  if (s === '') return { ok: false, message: 'empty target' };
  let host: string;
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
  } else {
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first >= 0 && first === last) {
      host = s.slice(0, first);
      portText = s.slice(first + 1);
    } else {
      host = s; // no colon, or a bare IPv6 address
    }
  }
  if (host === '') return { ok: false, message: `no host in ${JSON.stringify(text)}` };
  if (portText === undefined) return { ok: true, target: { host, port: DEFAULT_KMS_PORT } };
  const port = parsePort(portText);
  if (port === undefined) return { ok: false, message: `bad port ${JSON.stringify(portText)} (1..65535)` };
  return { ok: true, target: { host, port } };
}

/** `host:port`, with brackets around IPv6 hosts. */
export const formatTarget = (t: Target): string => (t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`);
