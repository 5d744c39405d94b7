import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { DASHBOARD_CSP, DASHBOARD_HTML } from '../dashboard/dashboard.page.js';
import type { RouteOptions } from './health.route.js';

/** GET /: the operator dashboard, a static page that polls v1/status and v1/clients. */
export const dashboardRoute: FastifyPluginAsync<RouteOptions> = async (app) => {
  app.get('/', { schema: { response: { 200: Type.String() } } }, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DASHBOARD_CSP)
      .header('referrer-policy', 'no-referrer')
      .send(DASHBOARD_HTML),
  );
};
