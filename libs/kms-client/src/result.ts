import type { KmsProtocolVersion, RpcOptions } from './options.js';
import type { ProductInfo } from './request.js';

/** Why something failed; `kind` decides the exit code (see {@link exitCodeOf}). */
export type FailureKind =
  | 'refused' // nothing listens / connection refused or unreachable
  | 'timeout' // no connection or no answer within the timeout
  | 'closed' // the host closed the connection before answering
  | 'network' // any other socket error
  | 'protocol' // an answer that cannot be decoded (bad PDU, stub, crypto)
  | 'rpc' // a decodable but wrong RPC answer (fault, bind_nak, no usable context)
  | 'hresult' // the host answered with an HRESULT instead of a response
  | 'check' // a response that decodes but fails a check
  | 'dns' // discovery found no host: the DNS lookup failed (hresult: the Windows DNS error code)
  | 'usage'; // bad options (unknown product, bad target): exit code 2

export interface Failure {
  readonly kind: FailureKind;
  readonly message: string;
  readonly hresult?: number;
}

/** One verification, KMS-level (from decodeKmsResponse) or RPC-level (bind, call id, context, stub). */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** What the bind (and alter_context) negotiated. */
export interface Negotiation {
  readonly offered: RpcOptions;
  readonly ndr32: boolean;
  readonly ndr64: boolean;
  readonly btfn: boolean;
  /** BTFN negotiate_ack feature bits (Microsoft answers 0x3). */
  readonly btfnFeatures?: number;
  /** An alter_context was needed to get NDR32 (NDR32 rejected in the bind, as Microsoft does when NDR64 is offered). */
  readonly alterContext: boolean;
  readonly assocGroupId: number;
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  /** Secondary address of the bind_ack (the host's port as text). */
  readonly secondaryAddress: string;
  readonly multiplex: boolean;
}

export interface ResponseInfo {
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** KMS response payload size in bytes (160 v4, 228 v5, 260 v6 with a 63-char ePID). */
  readonly size: number;
  readonly epid: string;
  /** v6 only, upper-case hex as vlmcs prints it. */
  readonly hwid?: string;
  readonly cmid: string;
  /** ISO-8601 of the echoed ClientTime. */
  readonly clientTime: string;
  readonly count: number;
  readonly activationInterval: number;
  readonly renewalInterval: number;
}

export interface RequestInfo {
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly applicationId: string;
  readonly skuId: string;
  readonly kmsCountedId: string;
  readonly cmid: string;
  readonly previousCmid: string;
  readonly workstation: string;
  readonly nPolicy: number;
  readonly licenseStatus: number;
  readonly remainingMinutes: number;
  readonly vm: boolean;
  /** ISO-8601 of ClientTime. */
  readonly clientTime: string;
  /** ClientTime as FILETIME (decimal string; JSON has no 64-bit integers). */
  readonly clientFileTime: string;
}

export type RequestStatus = 'activated' | 'hresult' | 'check-failed' | 'error';

export interface RequestOutcome {
  /** 1-based connection number. */
  readonly connection: number;
  /** 1-based number of the request on its connection. */
  readonly sequence: number;
  readonly protocol: KmsProtocolVersion;
  readonly product: ProductInfo;
  readonly request: RequestInfo;
  readonly syntax?: 'ndr32' | 'ndr64';
  readonly callId?: number;
  readonly contextId?: number;
  readonly status: RequestStatus;
  readonly response?: ResponseInfo;
  readonly hresult?: number;
  readonly checks: readonly Check[];
  readonly failure?: Failure;
  readonly durationMs: number;
}

export interface ConnectionOutcome {
  readonly index: number;
  /** Local address:port of the TCP connection, once connected. */
  readonly local?: string;
  readonly negotiation?: Negotiation;
  /** RPC bind-level checks. */
  readonly checks: readonly Check[];
  readonly requests: readonly RequestOutcome[];
  readonly failure?: Failure;
}

/** One SRV record found by discovery, in the order it is tried. */
export interface DiscoveredHost {
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
  /** Addresses of `target` the DNS server gave (empty: the system resolves the name at connect). */
  readonly addresses: readonly string[];
}

/** One host tried: `target:port`, the address connected to, and why it gave way to the next. */
export interface HostAttempt {
  readonly target: string;
  readonly address: string;
  readonly failure?: Failure;
}

/** What discovery did (`activate({ discover })`). */
export interface DiscoveryInfo {
  readonly domain: string;
  /** `_vlmcs._tcp.<domain>` */
  readonly name: string;
  /** The DNS server asked, `host:port`. */
  readonly server: string;
  /** `given` (the options), or where the system's server came from (`/etc/resolv.conf`). */
  readonly serverFrom: string;
  /** The SRV records in the order they are tried (RFC 2782). */
  readonly hosts: readonly DiscoveredHost[];
  readonly attempts: readonly HostAttempt[];
  /** `target:port` of the host that answered, if one did. */
  readonly answeredBy?: string;
}

export type ExitCode = 0 | 1 | 2 | 3;

/** Outcome of {@link activate}: everything the CLI prints, as data. */
export interface ActivationResult {
  readonly ok: boolean;
  readonly exitCode: ExitCode;
  /** `host:port` (with discovery: the SRV target that answered, or the SRV name) */
  readonly target: string;
  /** With `discover`: the records found and the hosts tried. */
  readonly discovery?: DiscoveryInfo;
  readonly connections: readonly ConnectionOutcome[];
  readonly totals: {
    readonly planned: number;
    readonly sent: number;
    readonly activated: number;
    readonly failed: number;
  };
  /** The failure that decides the exit code, if any. */
  readonly failure?: Failure;
  /** Number of distinct failures (requests and connections). */
  readonly failures: number;
  readonly durationMs: number;
}

/** A usage failure (bad target, product or domain) as a result: nothing was sent, exit code 2. */
export function usageFailure(target: string, message: string): ActivationResult {
  return {
    ok: false,
    exitCode: 2,
    target,
    connections: [],
    totals: { planned: 0, sent: 0, activated: 0, failed: 0 },
    failure: { kind: 'usage', message },
    failures: 1,
    durationMs: 0,
  };
}

const NETWORK: ReadonlySet<FailureKind> = new Set(['refused', 'timeout', 'closed', 'network', 'dns']);

/** 2 for usage, 3 for network failures (refused, timeout, closed, DNS), 1 for any other failure, 0 for none. */
export const exitCodeOf = (f: Failure | undefined): ExitCode =>
  f === undefined ? 0 : f.kind === 'usage' ? 2 : NETWORK.has(f.kind) ? 3 : 1;

/** The failure to report: the first network one if any (it ended the run), else the first. */
export function decisiveFailure(failures: readonly Failure[]): Failure | undefined {
  return failures.find((f) => NETWORK.has(f.kind)) ?? failures[0];
}
