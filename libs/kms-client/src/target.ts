import { formatHostPort, parseEndpoint } from '@kmsgrid/config';

/** Where the client connects: `host:port`, `[v6]:port`, a bare host, or a bare IPv6 address. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

/** TCP port of the KMS service (Microsoft's default, `slmgr /sprt`). */
export const DEFAULT_KMS_PORT = 1688;

export type TargetParse = { readonly ok: true; readonly target: Target } | { readonly ok: false; readonly message: string };

/**
 * Parses a target as vlmcs does: `host[:port]`, `[ipv6][:port]`; an address with
 * more than one colon and no brackets is a bare IPv6 address on the default port.
 * @example parseTarget('[::1]:1688') // { ok: true, target: { host: '::1', port: 1688 } }
 */
export function parseTarget(text: string): TargetParse {
  const r = parseEndpoint(text, DEFAULT_KMS_PORT, 'target');
  return r.ok ? { ok: true, target: { host: r.host, port: r.port } } : r;
}

/** `host:port`, with brackets around IPv6 hosts. */
export const formatTarget: (t: Target) => string = formatHostPort;
