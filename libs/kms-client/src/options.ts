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

/** Defaults of the options that are not per-product. @example DEFAULTS.timeoutMs // 10000 */
export const DEFAULTS = {
  host: '127.0.0.1',
  licenseStatus: 2, // OOB grace, what a fresh KMS client reports
  remainingMinutes: 43200, // 30 days of OOB grace, as vlmcs sends
  requests: 1,
  connections: 1,
  timeoutMs: 10_000,
} as const;
