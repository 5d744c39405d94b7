import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { outboxRelayMetrics, type RelayStatus } from '@kmsgrid/event-store';
import { buildApp } from './app.js';
import type { AdminDeps } from './context.js';
import { createSampleData, sampleAdminDeps } from './sample-data.js';
import type { ClientQuery, ClientsView, ErrorBody, ReadinessView, StatusView } from './schemas.js';
import { parsePrometheusText, sampleValue } from './testing/prometheus-text.js';

const NOW = new Date('2026-05-04T12:00:00.000Z');
const WINDOWS = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE = '0ff1ce15-a989-479d-af46-f275c6370663';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(overrides: Partial<AdminDeps> = {}): FastifyInstance {
  app = buildApp(sampleAdminDeps({ now: () => NOW, ...overrides }, NOW));
  return app;
}

const never = () => new Promise<never>(() => {});

describe('GET /healthz', () => {
  it('answers 200 {status: ok} without asking any upstream', async () => {
    const r = await start({ policyStatus: never, ledgerStatus: never }).inject('/healthz');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('is ready when every check passes', async () => {
    const r = await start({ readiness: [{ name: 'nats', check: async () => {} }, { name: 'postgres', check: async () => {} }] }).inject('/readyz');
    expect(r.statusCode).toBe(200);
    const body = r.json<ReadinessView>();
    expect(body.status).toBe('ready');
    expect(body.checks.map((c) => c.name)).toEqual(['nats', 'postgres']);
  });

  it('answers 503 with the names of failing and timed-out checks', async () => {
    const r = await start({
      readinessTimeoutMs: 30,
      readiness: [
        { name: 'nats', check: async () => {} },
        { name: 'postgres', check: async () => Promise.reject(new Error('connection refused')) },
        { name: 'ledger', check: never },
      ],
    }).inject('/readyz');
    expect(r.statusCode).toBe(503);
    const body = r.json<ReadinessView>();
    expect(body).toMatchObject({ status: 'not-ready', code: 'KMSG_ERR_ADMIN_NOT_READY', failing: ['postgres', 'ledger'] });
    expect(body.checks.find((c) => c.name === 'postgres')?.error).toBe('connection refused');
    expect(body.checks.find((c) => c.name === 'ledger')?.error).toBe('no answer within 30 ms');
  });
});

describe('GET /v1/status', () => {
  it('shows the slmgr /dlv view: counts against thresholds, host keys with ePIDs, intervals, requests', async () => {
    const r = await start().inject('/v1/status');
    expect(r.statusCode).toBe(200);
    const s = r.json<StatusView>();
    expect(s.host).toMatchObject({ listen: ['0.0.0.0:1688', '[::]:1688'], version: '0.1.0', mode: 'all-in-one' });
    expect(s.intervals).toEqual({ activationMinutes: 120, renewalMinutes: 10_080 });
    expect(s.clockToleranceMinutes).toBe(240);
    expect(s.hostKeys.map((k) => [k.id, k.epid, k.applicationName])).toEqual([
      ['windows-server-2022', '03612-04573-007-417400-03-1033-20348.0000-0732025', 'Windows'],
      ['office-2021', '03612-00206-578-400000-03-1033-20348.0000-0732025', 'Office 2013 and later'],
    ]);
    const windows = s.applications.find((a) => a.applicationId === WINDOWS)!;
    expect(windows).toMatchObject({ currentCount: 18, activeClients: 18, cap: 50, maxCount: 50, status: 'partial', hostKeyIds: ['windows-server-2022'] });
    expect(windows.thresholds).toEqual([
      { nPolicy: 5, label: 'Windows Server', activates: true, missing: 0 },
      { nPolicy: 25, label: 'Windows client', activates: false, missing: 7 },
    ]);
    const office = s.applications.find((a) => a.applicationId === OFFICE)!;
    expect(office).toMatchObject({ currentCount: 3, status: 'below', thresholds: [{ nPolicy: 5, label: 'Office', activates: false, missing: 2 }] });
    expect(s.totals.requests.total).toBe(windows.requests.total + office.requests.total);
    expect(s.totals.requests.failed).toBeGreaterThan(0);
    expect(s).not.toHaveProperty('dns');
    expect(s).not.toHaveProperty('ingress');
  });

  it('includes ingress counters and DNS outcomes only when those deps are given', async () => {
    const r = await start({
      ingressStats: () => ({ connectionsAccepted: 7, connectionsActive: 1, requests: 9 }),
      dnsStatus: async () => ({ domains: [{ domain: 'corp.example', outcome: 'registered', ok: true, at: NOW.toISOString() }] }),
    }).inject('/v1/status');
    const s = r.json<StatusView>();
    expect(s.ingress).toEqual({ connectionsAccepted: 7, connectionsActive: 1, requests: 9 });
    expect(s.dns).toEqual({ available: true, domains: [{ domain: 'corp.example', outcome: 'registered', ok: true, at: NOW.toISOString() }] });
  });

  it('keeps the view when only the DNS registrar fails, and says why', async () => {
    const r = await start({ dnsStatus: async () => Promise.reject(new Error('no responders')) }).inject('/v1/status');
    expect(r.statusCode).toBe(200);
    expect(r.json<StatusView>().dns).toEqual({ available: false, error: 'dns-registrar unavailable: no responders', domains: [] });
  });

  it('answers 503 KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE naming the upstream that failed', async () => {
    const failing = Object.assign(new Error('no responders for kmsgrid.ledger.v1.status'), { code: 'NO_RESPONDERS' });
    const r = await start({ ledgerStatus: async () => Promise.reject(failing) }).inject('/v1/status');
    expect(r.statusCode).toBe(503);
    expect(r.json<ErrorBody>()).toEqual({
      statusCode: 503,
      code: 'KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE',
      message: 'cmid-ledger unavailable: NO_RESPONDERS: no responders for kmsgrid.ledger.v1.status',
    });
  });

  it('times an upstream out', async () => {
    const r = await start({ policyStatus: never, upstreamTimeoutMs: 20 }).inject('/v1/status');
    expect(r.statusCode).toBe(503);
    expect(r.json<ErrorBody>().message).toBe('activation-policy unavailable: no answer within 20 ms');
  });

  it('answers 502 KMSG_ERR_ADMIN_UPSTREAM_BAD_REPLY when an upstream answers garbage', async () => {
    const r = await start({ policyStatus: async () => ({ hostKeys: 'none' }) as never }).inject('/v1/status');
    expect(r.statusCode).toBe(502);
    const body = r.json<ErrorBody>();
    expect(body.code).toBe('KMSG_ERR_ADMIN_UPSTREAM_BAD_REPLY');
    expect(body.message).toMatch(/^activation-policy answered with an invalid reply: /);
  });
});

describe('GET /v1/clients', () => {
  it('returns clients newest first with catalog names', async () => {
    const r = await start().inject('/v1/clients?limit=3');
    expect(r.statusCode).toBe(200);
    const page = r.json<ClientsView>();
    expect(page.clients).toHaveLength(3);
    const seen = page.clients.map((c) => c.lastSeen);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(page.nextCursor).toEqual(expect.any(String));
    for (const c of page.clients) {
      expect(c.productName).not.toBe('unknown SKU');
      expect(['Windows', 'Office 2013 and later']).toContain(c.applicationName);
    }
  });

  it('pages through every client with the cursor exactly once', async () => {
    const all = createSampleData(NOW).clients.map((c) => c.cmid).sort();
    const a = start();
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const r: { json<T>(): T } = await a.inject({ url: '/v1/clients', query: { limit: '4', ...(cursor !== null && { cursor }) } });
      const page = r.json<ClientsView>();
      seen.push(...page.clients.map((c) => c.cmid));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(seen.sort()).toEqual(all);
  });

  it('passes parsed filters to the data source', async () => {
    const queries: ClientQuery[] = [];
    const r = await start({
      listClients: async (q) => {
        queries.push(q);
        return { clients: [] };
      },
    }).inject('/v1/clients?application=office&workstation=PC-&address=10.0.0.1&licenseStatus=oot-grace&since=7d&limit=25&cursor=abc');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ clients: [], nextCursor: null });
    expect(queries).toEqual([
      { applicationId: OFFICE, workstation: 'PC-', address: '10.0.0.1', licenseStatus: 3, seenSince: '2026-04-27T12:00:00.000Z', cursor: 'abc', limit: 25 },
    ]);
  });

  it('filters the sample data', async () => {
    const r = await start().inject('/v1/clients?application=windows&licenseStatus=licensed');
    const page = r.json<ClientsView>();
    expect(page.clients).toHaveLength(5);
    expect(page.clients.every((c) => c.licenseStatusName === 'Licensed' && c.productName.startsWith('Windows Server 2022'))).toBe(true);
  });

  it.each([
    ['limit=501', 'query parameter limit must be <= 500'],
    ['limit=0', 'query parameter limit must be >= 1'],
    ['limit=ten', 'query parameter limit must be integer'],
    ['colour=red', 'unknown query parameter "colour": use application, workstation, address, licenseStatus, since, limit, cursor'],
    ['application=linux', 'application "linux" is neither a GUID nor one of windows, office-2010, office'],
    ['licenseStatus=9', 'licenseStatus "9" is unknown: use 0..6 or unlicensed, licensed, initial-grace, oot-grace, non-genuine-grace, notification, extended-grace'],
    ['since=yesterday', 'since "yesterday" is neither an ISO 8601 time (2026-05-01T12:00:00Z) nor a duration back from now (30m, 24h, 7d)'],
    ['workstation=', 'query parameter workstation must NOT have fewer than 1 characters'],
  ])('rejects %s with 400 and a clear message', async (query, message) => {
    const r = await start().inject(`/v1/clients?${query}`);
    expect(r.statusCode).toBe(400);
    expect(r.json<ErrorBody>()).toEqual({ statusCode: 400, code: 'KMSG_ERR_ADMIN_BAD_QUERY', message });
  });

  it('answers 503 when the ledger fails', async () => {
    const r = await start({ listClients: async () => Promise.reject(new Error('timeout')) }).inject('/v1/clients');
    expect(r.statusCode).toBe(503);
    expect(r.json<ErrorBody>()).toMatchObject({ code: 'KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE', message: 'cmid-ledger unavailable: timeout' });
  });
});

describe('GET /metrics', () => {
  it('serves parseable Prometheus text with counts, requests, ingress and process figures', async () => {
    const r = await start({ ingressStats: () => ({ connectionsAccepted: 12, connectionsActive: 2, requests: 30 }) }).inject('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parsePrometheusText(r.body);
    expect(sampleValue(m, 'kmsgrid_upstream_up', { upstream: 'ledger' })).toBe(1);
    expect(sampleValue(m, 'kmsgrid_count', { application: 'Windows' })).toBe(18);
    expect(sampleValue(m, 'kmsgrid_count', { application: 'Office 2013 and later' })).toBe(3);
    expect(sampleValue(m, 'kmsgrid_active_clients', { application_id: WINDOWS })).toBe(18);
    expect(sampleValue(m, 'kmsgrid_threshold_met', { application: 'Windows', n_policy: '5' })).toBe(1);
    expect(sampleValue(m, 'kmsgrid_threshold_met', { application: 'Windows', n_policy: '25' })).toBe(0);
    expect(m.get('kmsgrid_requests_total')?.type).toBe('counter');
    expect(new Set(m.get('kmsgrid_requests_total')?.samples.map((s) => s.labels['license_state']))).toEqual(
      new Set(['unlicensed', 'licensed', 'initial_grace', 'oot_grace', 'non_genuine_grace', 'notification', 'extended_grace']),
    );
    expect(sampleValue(m, 'kmsgrid_requests_failed_total', { application: 'Windows' })).toBeGreaterThan(0);
    expect(sampleValue(m, 'kmsgrid_ingress_connections_accepted_total')).toBe(12);
    expect(m.get('kmsgrid_ingress_connections_active')?.type).toBe('gauge');
    expect(m.has('kmsgrid_ingress_refused_total')).toBe(false);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('appends the families of extraMetrics (the outbox relay of this process), still parseable', async () => {
    const relay: RelayStatus = { state: 'running', consecutiveFailures: 0, publishedTotal: 41, duplicatesTotal: 2, lastPublishedPosition: 12345678901234n, passesFromMemory: 9, passesFromLog: 3 };
    const r = await start({ extraMetrics: () => outboxRelayMetrics(relay) }).inject('/metrics');
    const m = parsePrometheusText(r.body);
    expect(sampleValue(m, 'kmsgrid_count', { application: 'Windows' })).toBe(18);
    expect(sampleValue(m, 'kmsgrid_outbox_relay_running')).toBe(1);
    expect(sampleValue(m, 'kmsgrid_outbox_relay_published_total')).toBe(41);
    expect(m.get('kmsgrid_outbox_relay_published_total')?.type).toBe('counter');
    expect(sampleValue(m, 'kmsgrid_outbox_relay_duplicates_total')).toBe(2);
    expect(sampleValue(m, 'kmsgrid_outbox_relay_last_published_position')).toBe(12345678901234);
    expect(sampleValue(m, 'kmsgrid_outbox_relay_passes_from_memory_total')).toBe(9);
    expect(sampleValue(m, 'kmsgrid_outbox_relay_passes_from_log_total')).toBe(3);
    const backingOff = parsePrometheusText(outboxRelayMetrics({ ...relay, state: 'backing-off', consecutiveFailures: 4 }));
    expect(sampleValue(backingOff, 'kmsgrid_outbox_relay_running')).toBe(0);
    expect(sampleValue(backingOff, 'kmsgrid_outbox_relay_consecutive_failures')).toBe(4);
  });

  it('still answers when the ledger is down, with kmsgrid_upstream_up 0', async () => {
    const r = await start({ ledgerStatus: async () => Promise.reject(new Error('down')) }).inject('/metrics');
    expect(r.statusCode).toBe(200);
    const m = parsePrometheusText(r.body);
    expect(sampleValue(m, 'kmsgrid_upstream_up', { upstream: 'ledger' })).toBe(0);
    expect(m.has('kmsgrid_count')).toBe(false);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });
});

describe('GET / (dashboard)', () => {
  it('serves HTML with a CSP that allows only its own inline code and origin', async () => {
    const r = await start().inject('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(r.body).toMatch(/^<!doctype html>/);
  });

  it('references only same-origin URLs', async () => {
    const html = (await start().inject('/')).body;
    const urls = [
      ...[...html.matchAll(/\b(?:src|href|action)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]!),
      ...[...html.matchAll(/getJson\(\s*'([^']*)'/g)].map((m) => m[1]!),
      ...[...html.matchAll(/return '(v1\/[^'?]*)/g)].map((m) => m[1]!),
    ];
    expect(urls).toContain('v1/status');
    expect(urls).toContain('v1/clients');
    for (const u of urls) expect(u, u).toMatch(/^(?:data:,|v1\/[a-z]+)$/);
    // Nothing absolute or protocol-relative anywhere in the document.
    expect(html).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/@import|[^a-z]url\(/i);
  });

  it('has a script whose hash matches the CSP (no inline handlers or style attributes)', async () => {
    const r = await start().inject('/');
    const { createHash } = await import('node:crypto');
    const script = /<script>([\s\S]*)<\/script>/.exec(r.body)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(r.body)![1]!;
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(r.body).not.toMatch(/\son[a-z]+\s*=/i);
    expect(r.body).not.toMatch(/\sstyle\s*=/i);
  });
});

describe('unknown routes', () => {
  it.each(['/v2/status', '/v1/status/extra', '/index.html'])('%s answers 404 JSON', async (url) => {
    const r = await start().inject(url);
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json<ErrorBody>()).toEqual({ statusCode: 404, code: 'KMSG_ERR_ADMIN_NOT_FOUND', message: `no route GET ${url}` });
  });

  it('a method without a route answers 404 too', async () => {
    const r = await start().inject({ method: 'POST', url: '/v1/status' });
    expect(r.statusCode).toBe(404);
    expect(r.json<ErrorBody>().code).toBe('KMSG_ERR_ADMIN_NOT_FOUND');
  });
});
