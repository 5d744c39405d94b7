import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AdminContext } from '../context.js';
import { ADMIN_ERRORS } from '../errors.js';
import { ReadinessViewSchema, type ReadinessView } from '../schemas.js';

export interface RouteOptions {
  readonly ctx: AdminContext;
}

const HealthSchema = Type.Object({ status: Type.Literal('ok') });

/** GET /healthz: liveness. Answers while the event loop turns; checks nothing else, so a slow upstream never restarts the pod. */
export const healthzRoute: FastifyPluginAsync<RouteOptions> = async (app) => {
  app.get('/healthz', { schema: { response: { 200: HealthSchema } } }, async () => ({ status: 'ok' as const }));
};

async function runCheck(check: AdminContext['deps']['readiness'][number], timeoutMs: number): Promise<ReadinessView['checks'][number]> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => check.check()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name: check.name, ok: true, ms: Math.round(performance.now() - started) };
  } catch (e) {
    return { name: check.name, ok: false, ms: Math.round(performance.now() - started), error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** GET /readyz: runs every readiness check at once, each with a short deadline; 503 names the failing ones. */
export const readyzRoute: FastifyPluginAsync<RouteOptions> = async (app, { ctx }) => {
  app.get('/readyz', { schema: { response: { 200: ReadinessViewSchema, 503: ReadinessViewSchema } } }, async (_req, reply) => {
    const checks = await Promise.all(ctx.deps.readiness.map((c) => runCheck(c, ctx.readinessTimeoutMs)));
    const failing = checks.filter((c) => !c.ok).map((c) => c.name);
    if (failing.length === 0) return { status: 'ready' as const, failing, checks };
    ctx.deps.log.warn('not ready', { failing, checks });
    const code = 'KMSG_ERR_ADMIN_NOT_READY' satisfies keyof typeof ADMIN_ERRORS;
    return reply.code(ADMIN_ERRORS[code].httpStatus).send({ status: 'not-ready', code, failing, checks });
  });
};
