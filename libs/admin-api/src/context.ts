import type { Logger } from '@kmsgrid/config';
import type { ClientPage, ClientQuery, DnsStatus, IngressCounters, LedgerStatus, PolicyStatus } from './schemas.js';
import type { HostInfo } from './status-view.js';

/** A readiness probe: resolves when the dependency is usable, rejects (with a reason) when not. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/**
 * Everything the admin API reads, injected by the wiring (apps/admin-api,
 * apps/kmsgrid), which maps the services' replies into these shapes.
 */
export interface AdminDeps {
  /** activation-policy's status: host keys with ePID/HWID, intervals, clock tolerance. */
  policyStatus(): Promise<PolicyStatus>;
  /** cmid-ledger's status: counts and cumulative requests per application. */
  ledgerStatus(): Promise<LedgerStatus>;
  /** cmid-ledger's client list, one page. */
  listClients(query: ClientQuery): Promise<ClientPage>;
  readonly host: HostInfo;
  /** KMS endpoint counters when this process runs it (e.g. `() => ingress.stats()`). */
  ingressStats?(): IngressCounters;
  /** dns-registrar's last outcome per domain, when one is wired in. */
  dnsStatus?(): Promise<DnsStatus>;
  /** More Prometheus families of services in this process (e.g. the outbox relay's), appended to /metrics. */
  extraMetrics?(): string;
  readonly readiness: readonly ReadinessCheck[];
  readonly log: Logger;
  /** Clock, for tests; default `new Date()`. */
  now?(): Date;
  /** Deadline of each upstream call; default 5000 ms. */
  readonly upstreamTimeoutMs?: number;
  /** Deadline of each readiness check; default 2000 ms. */
  readonly readinessTimeoutMs?: number;
}

/** What the route plugins get: the deps with defaults filled in. */
export interface AdminContext {
  readonly deps: AdminDeps;
  readonly startedAt: Date;
  readonly now: () => Date;
  readonly upstreamTimeoutMs: number;
  readonly readinessTimeoutMs: number;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 5000;
export const DEFAULT_READINESS_TIMEOUT_MS = 2000;

export function createContext(deps: AdminDeps): AdminContext {
  const now = deps.now ?? (() => new Date());
  return {
    deps,
    startedAt: now(),
    now,
    upstreamTimeoutMs: deps.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    readinessTimeoutMs: deps.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
  };
}
