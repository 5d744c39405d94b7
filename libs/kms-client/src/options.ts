import type { DnsServer } from '@kmsgrid/dns-client';
import type { Guid } from './protocol.js';
import type { Target } from './target.js';

export type KmsProtocolVersion = 4 | 5 | 6;

/** RPC bind choices (vlmcs -N, -B, -p). */
export interface RpcOptions {
  readonly ndr32: boolean;
  readonly ndr64: boolean;
  readonly btfn: boolean;
  readonly multiplex: boolean;
}

/** What the user asked for, validated but not yet resolved against the catalog. */
export interface ClientOptions {
  readonly target: Target;
  /** Forced KMS protocol; undefined = the product's default. */
  readonly protocol?: KmsProtocolVersion;
  readonly product?: string;
  readonly appId?: Guid;
  readonly kmsId?: Guid;
  readonly skuId?: Guid;
  /** Fixed CMID for every request; undefined = a random v4 GUID per request. */
  readonly cmid?: Guid;
  readonly previousCmid?: Guid;
  /** Fixed workstation name; undefined = a random FQDN per request. */
  readonly workstation?: string;
  readonly nPolicy?: number;
  readonly licenseStatus: number;
  /** BindingExpiration: minutes left in the current license state. */
  readonly remainingMinutes: number;
  readonly vm: boolean;
  readonly rpc: RpcOptions;
  /** Requests per connection (vlmcs -n). */
  readonly requests: number;
  /** Connections, each carrying `requests` requests. */
  readonly connections: number;
  readonly timeoutMs: number;
}

/**
 * Find the KMS host by DNS, as a Windows client does (kms-facts §4): the SRV
 * records at `_vlmcs._tcp.<domain>`, tried in RFC 2782 order (lowest priority,
 * then weighted random), each at the first address of its target; a host that
 * cannot be connected to gives way to the next.
 */
export interface DiscoverOptions {
  readonly domain: string;
  /** Default: the system's, the first `nameserver` of /etc/resolv.conf on port 53. */
  readonly server?: DnsServer;
  /** Wait for each DNS try (UDP is tried 3 times, then TCP on truncation); default 2000 ms. */
  readonly timeoutMs?: number;
  /** Uniform [0, 1) source for the weighted order (inject it in tests); default Math.random. */
  readonly random?: () => number;
}

/** Defaults of the options that are not per-product. @example DEFAULTS.timeoutMs // 10000 */
export const DEFAULTS = {
  host: '127.0.0.1',
  licenseStatus: 2, // OOB grace, what a fresh KMS client reports
  remainingMinutes: 43200, // 30 days of OOB grace, as vlmcs sends
  requests: 1,
  connections: 1,
  timeoutMs: 10_000,
} as const;
