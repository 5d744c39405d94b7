import type { Tracer } from '@opentelemetry/api';
import { silentLogger, type Logger } from '@kmsgrid/config';
import type { DnsRecord, ExchangeOptions } from '@kmsgrid/dns-client';
import { backoffDelay, isConcurrencyError, type BackoffOptions, type EventStore, type NewEvent } from '@kmsgrid/event-store';
import { ATTR, getTracer, injectTraceContext, newCorrelationId, recordError, SPAN, withCorrelationId, withSpan } from '@kmsgrid/telemetry';
import type { DnsDomainConfig, DnsRegistrarConfig } from './config.js';
import { dnsRegistrationStreamId, outcomeEventType, type DnsOperation, type DnsOutcome, type DnsRegistrationEventData, type DnsServerAnswer } from './events.js';
import { DnsUpdateError, sendUpdate, type UpdateAnswer } from './net/update-client.js';
import { evolveOwnership, initialOwnership, plannedRecords, publishOperations, withdrawOperations } from './registration.js';

/** Microsoft's KMS host logs event 12293 when it did not publish its DNS records (kms-facts §5). */
export const EVENT_ID_DNS_PUBLISH_FAILED = 12293;

/** Per-domain state for `/v1/status`. Times are ISO 8601. */
export type DnsDomainStatus = Readonly<{
  domain: string;
  zone: string;
  server: string;
  records: readonly DnsRecord[];
  /** `starting`: no answer yet; `published`: last attempt succeeded; `retrying`: failures, next try scheduled; `withdrawn`/`stopped`: after stop(). */
  state: 'starting' | 'published' | 'retrying' | 'withdrawn' | 'stopped';
  lastOutcome?: Readonly<{ outcome: DnsOutcome; operation: DnsOperation; at: string; answer?: DnsServerAnswer; message?: string }>;
  lastSuccessAt?: string;
  nextAttemptAt?: string;
  consecutiveFailures: number;
  /** 12293 while the last attempt failed, as Microsoft's host would log. */
  windowsEventId?: typeof EVENT_ID_DNS_PUBLISH_FAILED;
}>;

export type DnsRegistrarStatus = Readonly<{ enabled: boolean; target?: string; domains: readonly DnsDomainStatus[] }>;

/** What {@link startDnsRegistrar} needs. */
export type DnsRegistrarDeps = Readonly<{
  config: DnsRegistrarConfig;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any migrated store will do; only append/readStream/aggregateStream are used
  store: EventStore<any>;
  logger?: Logger;
  tracer?: Tracer;
  /** Clock, ms since the epoch (TSIG time, status times). */
  now?: () => number;
  random?: () => number;
  /** Retry delays after failures: default 10 s doubling to 15 min, jittered. */
  backoff?: BackoffOptions;
  /** UPDATE transport: default UDP (TCP when truncated), 2 s per try, 3 tries. */
  exchange?: ExchangeOptions;
  /** Upper bound on the withdrawal at stop(), default 10 s. */
  withdrawTimeoutMs?: number;
}>;

/** A running registrar. */
export interface DnsRegistrar {
  /** Per-domain state (last outcome, last success, next attempt, consecutive failures). */
  status(): DnsRegistrarStatus;
  /** Publishes every domain now (the next refresh is rescheduled from here). Never rejects. */
  refreshNow(): Promise<void>;
  /** Stops the timers and, unless `withdraw: false`, deletes this instance's records. Never rejects. */
  stop(opts?: Readonly<{ withdraw?: boolean }>): Promise<void>;
  /** Resolves once every domain has had its first attempt (whatever the outcome). */
  readonly firstAttempts: Promise<void>;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 15 * 60_000, factor: 2 };
const PENDING_LIMIT = 1000;

type Worker = {
  readonly cfg: DnsDomainConfig;
  readonly zone: string;
  readonly stream: string;
  readonly wanted: readonly DnsRecord[];
  owned: readonly DnsRecord[];
  loaded: boolean;
  version: number | undefined;
  pending: NewEvent[];
  publishedThisRun: boolean;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  status: DnsDomainStatus;
};

/**
 * Publishes `_vlmcs._tcp.<domain>` SRV records (and the target's A/AAAA when
 * configured) for every configured domain by RFC 2136 UPDATE signed with TSIG:
 * at once, then every `refreshMs`; retries failures with backoff; records each
 * outcome in the `dns-registration:<domain>` stream; never throws or rejects.
 *
 * @example
 * const registrar = startDnsRegistrar({ config, store, logger });
 * app.get('/v1/status', () => ({ dns: registrar.status() }));
 * process.once('SIGTERM', () => void registrar.stop());
 */
export function startDnsRegistrar(deps: DnsRegistrarDeps): DnsRegistrar {
  const { config, store } = deps;
  const log = (deps.logger ?? silentLogger).child({ component: 'dns-registrar' });
  const tracer = deps.tracer ?? getTracer('@kmsgrid/dns-registrar');
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const serverText = config.server.host.includes(':') ? `[${config.server.host}]:${config.server.port}` : `${config.server.host}:${config.server.port}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  let stopping = false;

  const workers: Worker[] = config.domains.map((cfg) => {
    const wanted = plannedRecords(config, cfg);
    return {
      cfg,
      zone: cfg.domain,
      stream: dnsRegistrationStreamId(cfg.domain),
      wanted,
      owned: [],
      loaded: false,
      version: undefined,
      pending: [],
      publishedThisRun: false,
      failures: 0,
      timer: undefined,
      running: undefined,
      status: { domain: cfg.domain, zone: cfg.domain, server: serverText, records: wanted, state: 'starting', consecutiveFailures: 0 },
    };
  });

  async function load(w: Worker): Promise<void> {
    if (w.loaded) return;
    try {
      const r = await store.aggregateStream(w.stream, { initialState: initialOwnership, evolve: (s, e) => evolveOwnership(config.target, s, e) });
      w.owned = r.state.owned;
      w.version = r.version;
      w.loaded = true;
    } catch (e) {
      // Without the history we cannot clean up stale records this time; publishing still goes ahead.
      log.warn('cannot read the registration history; will retry', { domain: w.cfg.domain, err: e });
    }
  }

  async function appendPending(w: Worker): Promise<void> {
    for (let tries = 0; tries < 5 && w.pending.length > 0; tries++) {
      try {
        if (w.version === undefined) w.version = (await store.readStream(w.stream, { fromVersion: 0x7fffffff })).version;
        const r = await store.append(w.stream, w.version, w.pending);
        w.version = r.version;
        w.pending = [];
      } catch (e) {
        // Another instance appended to the shared domain stream: take its version and retry.
        if (isConcurrencyError(e)) {
          w.version = undefined;
          continue;
        }
        log.warn('cannot store the DNS registration event; keeping it for the next attempt', { domain: w.cfg.domain, pending: w.pending.length, err: e });
        if (w.pending.length > PENDING_LIMIT) w.pending.splice(0, w.pending.length - PENDING_LIMIT);
        return;
      }
    }
  }

  function explain(a: UpdateAnswer, w: Worker): string {
    const tsig = a.tsigError ? ` (TSIG ${a.tsigError})` : '';
    if (a.tsigError === 'BADSIG' || a.tsigError === 'BADKEY') return `${a.rcode}${tsig}: the server rejected our TSIG signature; KMSGRID_DNS_TSIG must match the server's key statement (name, algorithm, secret)`;
    if (a.tsigError === 'BADTIME') {
      const skew = a.serverTime === undefined ? '' : ` (server clock ${Math.floor(now() / 1000) - a.serverTime} s behind ours)`;
      return `${a.rcode}${tsig}: the clocks of this host and the DNS server differ by more than the fudge${skew}; synchronize them (NTP)`;
    }
    switch (a.rcode) {
      case 'NOTAUTH':
        return `NOTAUTH${tsig}: the server is not authoritative for zone ${w.zone} (or refused the key); publish to the zone's primary server`;
      case 'REFUSED':
        return `REFUSED${tsig}: the server does not allow key ${config.key.name} to update zone ${w.zone}; add it to allow-update or update-policy`;
      case 'NOTZONE':
        return `NOTZONE: a record is outside zone ${w.zone}`;
      case 'SERVFAIL':
        return `SERVFAIL: the server failed to apply the update (zone not loaded, journal not writable?)`;
      default:
        return `${a.rcode}${tsig}: the server refused the update`;
    }
  }

  async function attempt(w: Worker, operation: DnsOperation): Promise<DnsOutcome> {
    await load(w);
    const started = now();
    const attemptNo = w.failures + 1;
    const withdraw = operation === 'withdraw';
    const plan = withdraw
      ? { ...withdrawOperations(w.wanted, w.owned), removed: [] as DnsRecord[] }
      : { ...publishOperations(w.wanted, w.owned), records: w.wanted };
    const { records, removed } = plan;
    let outcome = 'failed' as DnsOutcome;
    let answer: DnsServerAnswer | undefined;
    let error: { kind: string; message: string } | undefined;
    const metadata: Record<string, string> = {};
    const attrs = { [ATTR.streamId]: w.stream, [ATTR.networkPeerAddress]: config.server.host, [ATTR.networkPeerPort]: config.server.port };
    await withCorrelationId(newCorrelationId(), () =>
      withSpan(tracer, SPAN.dnsRegister, attrs, async (span) => {
        injectTraceContext(metadata);
        try {
          const a = await sendUpdate(config.server, { zone: w.zone, prerequisites: [], updates: plan.updates }, { key: config.key, now, ...deps.exchange });
          answer = {
            rcode: a.rcode,
            verified: a.verified,
            transport: a.transport,
            ...(a.tsigError && { tsigError: a.tsigError }),
            ...(a.serverTime !== undefined && { serverTime: a.serverTime }),
          };
          if (a.rcode === 'NOERROR') {
            outcome = withdraw ? 'withdrawn' : w.publishedThisRun ? 'refreshed' : 'published';
          } else {
            outcome = 'refused';
            error = { kind: 'refused', message: explain(a, w) };
            recordError(span, new Error(error.message));
          }
        } catch (e) {
          if (e instanceof DnsUpdateError) {
            outcome = e.kind === 'timeout' ? 'timed-out' : 'failed';
            error = { kind: e.kind, message: e.message };
          } else {
            error = { kind: 'internal', message: e instanceof Error ? e.message : String(e) };
          }
          recordError(span, e);
        }
      }),
    );
    const data: DnsRegistrationEventData = {
      domain: w.cfg.domain,
      zone: w.zone,
      server: serverText,
      owner: config.target,
      operation,
      records,
      removed,
      ...(answer && { answer }),
      ...(error && { error }),
      attempt: attemptNo,
      durationMs: now() - started,
    };
    const event: NewEvent = { type: outcomeEventType(outcome), data, metadata };
    w.owned = evolveOwnership(config.target, { owned: w.owned }, event).owned;
    const ok = outcome === 'published' || outcome === 'refreshed' || outcome === 'withdrawn';
    if (ok) {
      w.failures = 0;
      if (!withdraw) w.publishedThisRun = true;
    } else {
      w.failures++;
    }
    const at = iso(now());
    const { windowsEventId: _drop, nextAttemptAt: _next, ...rest } = w.status;
    w.status = {
      ...rest,
      state: withdraw ? (ok ? 'withdrawn' : 'stopped') : ok ? 'published' : 'retrying',
      lastOutcome: { outcome, operation, at, ...(answer && { answer }), ...(error && { message: error.message }) },
      ...(ok ? { lastSuccessAt: at } : {}),
      consecutiveFailures: w.failures,
      ...(!ok && !withdraw && { windowsEventId: EVENT_ID_DNS_PUBLISH_FAILED }),
    };
    const fields = { domain: w.cfg.domain, zone: w.zone, server: serverText, outcome, operation, attempt: attemptNo, ...(answer && { rcode: answer.rcode, tsigError: answer.tsigError }) };
    if (ok) log.info(`DNS records ${outcome}`, fields);
    else log.warn(`DNS ${operation} failed (Microsoft event ${EVENT_ID_DNS_PUBLISH_FAILED}): ${error?.message ?? outcome}`, fields);
    w.pending.push(event);
    await appendPending(w);
    return outcome;
  }

  function schedule(w: Worker, delayMs: number): void {
    if (stopping) return;
    clearTimeout(w.timer);
    w.timer = setTimeout(() => void run(w), delayMs);
    w.status = { ...w.status, nextAttemptAt: iso(now() + delayMs) };
  }

  /** One publish/refresh attempt for `w`, then the next one scheduled. Serialized per domain. */
  function run(w: Worker): Promise<void> {
    const previous = w.running ?? Promise.resolve();
    const next = previous.then(async () => {
      if (stopping) return;
      clearTimeout(w.timer);
      w.timer = undefined;
      try {
        const outcome = await attempt(w, w.publishedThisRun ? 'refresh' : 'publish');
        const ok = outcome === 'published' || outcome === 'refreshed';
        schedule(w, ok ? config.refreshMs : backoffDelay(w.failures, backoff, random));
      } catch (e) {
        // attempt() handles its own failures; this is a bug guard so a timer never dies silently.
        log.error('DNS registration attempt crashed; retrying', { domain: w.cfg.domain, err: e });
        schedule(w, backoffDelay(Math.max(1, w.failures), backoff, random));
      }
    });
    w.running = next;
    return next;
  }

  const firstAttempts = Promise.all(workers.map((w) => run(w))).then(() => undefined);

  return {
    firstAttempts,
    status: () => ({ enabled: true, target: config.target, domains: workers.map((w) => w.status) }),
    async refreshNow() {
      await Promise.all(workers.map((w) => run(w)));
    },
    async stop(opts = {}) {
      if (stopping) return;
      stopping = true;
      for (const w of workers) {
        clearTimeout(w.timer);
        w.timer = undefined;
      }
      await Promise.all(workers.map((w) => w.running));
      const withdrawAll = Promise.all(
        workers.map(async (w) => {
          if (opts.withdraw === false) {
            const { nextAttemptAt: _n, ...rest } = w.status;
            w.status = { ...rest, state: 'stopped' };
            return;
          }
          try {
            await attempt(w, 'withdraw');
          } catch (e) {
            log.error('DNS withdrawal crashed', { domain: w.cfg.domain, err: e });
          }
        }),
      );
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn('DNS withdrawal did not finish in time; records may remain until the next start', { timeoutMs: deps.withdrawTimeoutMs ?? 10_000 });
          resolve();
        }, deps.withdrawTimeoutMs ?? 10_000);
      });
      await Promise.race([withdrawAll, limit]);
      clearTimeout(timer);
    },
  };
}

/** The status of a registrar that is off (no `KMSGRID_DNS_DOMAINS`). */
export const DNS_PUBLISHING_OFF: DnsRegistrarStatus = { enabled: false, domains: [] };
