import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, readProcessFigures, renderMetrics } from '../metrics.js';
import type { LedgerStatus } from '../schemas.js';
import { callUpstream } from '../upstream.js';
import type { RouteOptions } from './health.route.js';
import { errorResponses } from './route-schemas.js';
import { LEDGER_UPSTREAM } from './status.route.js';

/**
 * GET /metrics: Prometheus text format. A ledger that does not answer does not
 * fail the scrape (process and ingress figures stay visible); it shows as
 * kmsgrid_upstream_up{upstream="ledger"} 0.
 */
export const metricsRoute: FastifyPluginAsync<RouteOptions> = async (app, { ctx }) => {
  app.get('/metrics', { schema: { response: { 200: Type.String(), ...errorResponses(500) } } }, async (_req, reply) => {
    let ledger: LedgerStatus | null = null;
    try {
      ledger = await callUpstream(LEDGER_UPSTREAM, () => ctx.deps.ledgerStatus(), ctx.upstreamTimeoutMs);
    } catch (e) {
      ctx.deps.log.warn('metrics without ledger figures', { error: e });
    }
    const ingress = ctx.deps.ingressStats?.();
    const text = renderMetrics({ host: ctx.deps.host, ledger, process: readProcessFigures(), ...(ingress !== undefined && { ingress }) });
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text + (ctx.deps.extraMetrics?.() ?? ''));
  });
};
