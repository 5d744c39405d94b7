import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { ADMIN_ERRORS, AdminError, isAdminErrorCode, type AdminErrorCode } from './errors.js';
import { sampleAdminDeps } from './sample-data.js';

const never = () => new Promise<never>(() => {});

/** For every code, a request that must produce it. */
const SCENARIOS: Record<AdminErrorCode, () => Promise<{ statusCode: number; body: { code?: string } }>> = {
  KMSG_ERR_ADMIN_NOT_FOUND: async () => send(buildApp(sampleAdminDeps()), '/nowhere'),
  KMSG_ERR_ADMIN_BAD_QUERY: async () => send(buildApp(sampleAdminDeps()), '/v1/clients?limit=9999'),
  KMSG_ERR_ADMIN_NOT_READY: async () =>
    send(buildApp(sampleAdminDeps({ readiness: [{ name: 'db', check: async () => Promise.reject(new Error('down')) }] })), '/readyz'),
  KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE: async () => send(buildApp(sampleAdminDeps({ ledgerStatus: never, upstreamTimeoutMs: 10 })), '/v1/status'),
  KMSG_ERR_ADMIN_UPSTREAM_BAD_REPLY: async () => send(buildApp(sampleAdminDeps({ listClients: async () => ({ clients: [{}] }) as never })), '/v1/clients'),
  KMSG_ERR_ADMIN_INTERNAL: async () =>
    send(
      buildApp(
        sampleAdminDeps({
          ingressStats: () => {
            throw new TypeError('stats is not a function');
          },
        }),
      ),
      '/v1/status',
    ),
};

async function send(app: FastifyInstance, url: string) {
  try {
    const r = await app.inject(url);
    return { statusCode: r.statusCode, body: r.json<{ code?: string }>() };
  } finally {
    await app.close();
  }
}

describe('the admin error catalogue', () => {
  it('is consistent: prefix, HTTP error status, one documented line each', () => {
    for (const [code, spec] of Object.entries(ADMIN_ERRORS)) {
      expect(code).toMatch(/^KMSG_ERR_ADMIN_[A-Z_]+$/);
      expect(spec.httpStatus).toBeGreaterThanOrEqual(400);
      expect(spec.httpStatus).toBeLessThan(600);
      expect(spec.doc.length).toBeGreaterThan(20);
      expect(spec.doc).not.toContain('\n');
      expect(isAdminErrorCode(code)).toBe(true);
    }
    expect(isAdminErrorCode('KMSG_ERR_ADMIN_NOPE')).toBe(false);
    expect(isAdminErrorCode('toString')).toBe(false);
  });

  it('AdminError carries the status of its entry', () => {
    const e = new AdminError('KMSG_ERR_ADMIN_BAD_QUERY', 'limit');
    expect(e.httpStatus).toBe(400);
    expect(e.message).toBe('limit');
  });

  it.each(Object.keys(ADMIN_ERRORS) as AdminErrorCode[])('%s is produced by the app with its HTTP status', async (code) => {
    const r = await SCENARIOS[code]();
    expect(r.body.code).toBe(code);
    expect(r.statusCode).toBe(ADMIN_ERRORS[code].httpStatus);
  });
});
