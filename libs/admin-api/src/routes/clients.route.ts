import type { FastifyPluginAsync } from 'fastify';
import { parseClientsQuery, toClientsView } from '../clients-view.js';
import { ClientPageSchema, ClientsQuerystringSchema, ClientsViewSchema, type ClientsQuerystring } from '../schemas.js';
import { callUpstream } from '../upstream.js';
import type { RouteOptions } from './health.route.js';
import { errorResponses } from './route-schemas.js';

export const CLIENTS_UPSTREAM = { name: 'cmid-ledger', schema: ClientPageSchema } as const;

/** GET /v1/clients: one page of clients, newest first, filtered; names from the catalog. */
export const clientsRoute: FastifyPluginAsync<RouteOptions> = async (app, { ctx }) => {
  app.get<{ Querystring: ClientsQuerystring }>(
    '/v1/clients',
    { schema: { querystring: ClientsQuerystringSchema, response: { 200: ClientsViewSchema, ...errorResponses(400, 500, 502, 503) } } },
    async (req) => {
      const query = parseClientsQuery(req.query, ctx.now());
      const page = await callUpstream(CLIENTS_UPSTREAM, () => ctx.deps.listClients(query), ctx.upstreamTimeoutMs);
      return toClientsView(page);
    },
  );
};
