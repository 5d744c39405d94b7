import { DnsWireError } from './errors.js';

/** SRV rdata (RFC 2782). `target` is a canonical name (lowercase, no trailing dot). */
export type SrvData = Readonly<{ priority: number; weight: number; port: number; target: string }>;

/** A record of the types kmsgrid reads and publishes. Names are canonical: lowercase, no trailing dot. TTL in seconds. */
export type DnsRecord =
  | Readonly<{ name: string; type: 'SRV'; ttl: number; data: SrvData }>
  | Readonly<{ name: string; type: 'A'; ttl: number; data: string }>
  | Readonly<{ name: string; type: 'AAAA'; ttl: number; data: string }>;
export type DnsRecordType = DnsRecord['type'];

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Why `text` is not a usable host or owner name, or undefined when it is.
 * Letters, digits, `-` and `_` (service labels such as `_vlmcs`), labels of
 * 1..63 characters, at most 255 bytes on the wire (RFC 1035 §2.3.4).
 */
export function nameProblem(text: string): string | undefined {
  const s = text.endsWith('.') ? text.slice(0, -1) : text;
  if (s === '') return 'the name is empty';
  const labels = s.toLowerCase().split('.');
  for (const l of labels) {
    if (l === '') return 'it has an empty label (two dots in a row)';
    if (l.length > 63) return `the label "${l}" is longer than 63 characters`;
    if (!LABEL.test(l)) return `the label "${l}" may hold only letters, digits, "-" and "_" (not at its ends for "-")`;
  }
  if (labels.reduce((n, l) => n + l.length + 1, 1) > 255) return 'it is longer than 255 bytes';
  return undefined;
}

/** `text` in canonical form (lowercase, no trailing dot). Throws DNS_BAD_ARGUMENT when malformed. */
export function canonicalName(text: string): string {
  const problem = nameProblem(text);
  if (problem) throw new DnsWireError('DNS_BAD_ARGUMENT', `name ${JSON.stringify(text)} is invalid: ${problem}`);
  return (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
}
