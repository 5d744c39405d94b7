import { connect, type NatsConnection } from 'nats';
import { buildApp, sampleAdminDeps, type AdminDeps } from '@kmsgrid/admin-api';
import { silentLogger } from '@kmsgrid/config';
import { DNS_QUERY_QUEUE, DNS_QUERY_SUBJECTS, dnsStatusReplyCodec, dnsStatusRequestCodec, type DnsStatusReply } from '@kmsgrid/contracts';
import { createNatsTransport, defineRpc, serveRpc, type Transport } from '@kmsgrid/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitAdminDeps } from './deps.js';

// The real subject on the shared NATS: this file is the only test that serves
// kmsgrid.dns.v1.status there (dns-registrar's own test uses a private subject),
// so the no-responder case really has nobody answering.
const natsUrl = process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const dnsStatusRpc = defineRpc({ subject: DNS_QUERY_SUBJECTS.status, request: dnsStatusRequestCodec, reply: dnsStatusReplyCodec });

// What dns-registrar answers while BIND refuses its key (dnsStatusView of a failing registrar).
const failing: DnsStatusReply = {
  domains: [
    {
      domain: 'corp.example',
      record: '_vlmcs._tcp.corp.example. 3600 IN SRV 0 100 1688 kms1.corp.example.',
      outcome: 'refused',
      ok: false,
      at: '2026-01-02T03:04:05.000Z',
      message: 'NOTAUTH (BADSIG)',
      windowsEventId: 12293,
    },
  ],
};

describe('split admin API: DNS section over kmsgrid.dns.v1.status', () => {
  let nc: NatsConnection;
  let transport: Transport;
  beforeAll(async () => {
    nc = await connect({ servers: natsUrl, name: 'admin-api-dns-test' });
    transport = createNatsTransport(nc);
  });
  afterAll(async () => {
    await transport?.drain();
  });

  // Policy and ledger come from the sample data: this file tests the DNS hop only.
  const app = (dns: boolean) => {
    const sample = sampleAdminDeps();
    const deps: AdminDeps = {
      ...splitAdminDeps({ kmsListen: [{ host: '0.0.0.0', port: 1688 }], dns }, { transport, readiness: [], log: silentLogger, timeoutMs: 2000 }),
      policyStatus: sample.policyStatus,
      ledgerStatus: sample.ledgerStatus,
    };
    return buildApp(deps);
  };

  it('shows what a dns-registrar answers', async () => {
    const sub = serveRpc(transport, dnsStatusRpc, { queue: DNS_QUERY_QUEUE }, async () => failing);
    const a = app(true);
    try {
      const res = await a.inject({ method: 'GET', url: '/v1/status' });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ dns?: unknown; host: { mode: string } }>();
      expect(body.host.mode).toBe('split');
      expect(body.dns).toEqual({
        available: true,
        domains: [
          {
            domain: 'corp.example',
            record: '_vlmcs._tcp.corp.example. 3600 IN SRV 0 100 1688 kms1.corp.example.',
            outcome: 'refused',
            ok: false,
            at: '2026-01-02T03:04:05.000Z',
            message: 'NOTAUTH (BADSIG)',
            windowsEventId: 12293,
          },
        ],
      });
    } finally {
      await a.close();
      await sub.drain();
    }
  });

  it('shows the DNS section as unavailable when nobody answers, and the rest of the status', async () => {
    const a = app(true);
    try {
      const started = Date.now();
      const res = await a.inject({ method: 'GET', url: '/v1/status' });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ dns?: { available: boolean; error?: string; domains: unknown[] }; applications: unknown[] }>();
      expect(body.dns).toMatchObject({ available: false, domains: [] });
      expect(body.dns?.error).toMatch(/^dns-registrar unavailable: /);
      expect(body.applications.length).toBeGreaterThan(0);
      // NATS says "no responders" at once; no waiting out the deadline.
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await a.close();
    }
  });

  it('has no DNS section when publishing is off (KMSGRID_DNS_DOMAINS unset)', async () => {
    const a = app(false);
    try {
      const res = await a.inject({ method: 'GET', url: '/v1/status' });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ dns?: unknown }>().dns).toBeUndefined();
    } finally {
      await a.close();
    }
  });
});
