import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { createContext, type AdminDeps } from './context.js';
import { ADMIN_ERRORS, AdminError, type AdminErrorCode } from './errors.js';
import { ClientsQuerystringSchema, type ErrorBody } from './schemas.js';
import { clientsRoute } from './routes/clients.route.js';
import { dashboardRoute } from './routes/dashboard.route.js';
import { healthzRoute, readyzRoute } from './routes/health.route.js';
import { metricsRoute } from './routes/metrics.route.js';
import { statusRoute } from './routes/status.route.js';

const body = (code: AdminErrorCode, message: string): ErrorBody => ({ statusCode: ADMIN_ERRORS[code].httpStatus, code, message });

interface AjvError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** One clear sentence for the first schema violation of a query string. */
function validationMessage(errors: readonly AjvError[]): string {
  const e = errors[0];
  if (e === undefined) return 'invalid query';
  if (e.keyword === 'additionalProperties') {
    const allowed = Object.keys(ClientsQuerystringSchema.properties).join(', ');
    return `unknown query parameter "${String(e.params['additionalProperty'])}": use ${allowed}`;
  }
  const name = e.instancePath.replace(/^\//, '') || 'query';
  return `query parameter ${name} ${e.message ?? 'is invalid'}`;
}

/**
 * Builds the admin HTTP app (not listening): health, readiness, the `slmgr
 * /dlv` status, clients, Prometheus metrics and the dashboard, each route an
 * encapsulated plugin. Every error answers `{ statusCode, code, message }`
 * with a KMSG_ERR_ADMIN_* code.
 *
 * @example
 * const app = buildApp({ policyStatus, ledgerStatus, listClients, host, readiness: [], log });
 * await app.listen({ host: '0.0.0.0', port: 8080 });
 */
export function buildApp(deps: AdminDeps): FastifyInstance {
  const ctx = createContext(deps);
  const app = Fastify({
    logger: false,
    // Unknown query parameters are rejected, not silently dropped (fastify's default removes them).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    return503OnClosing: true,
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    let answer: ErrorBody;
    if (error instanceof AdminError) {
      answer = body(error.code, error.message);
    } else if (error.validation !== undefined) {
      answer = body('KMSG_ERR_ADMIN_BAD_QUERY', validationMessage(error.validation as readonly AjvError[]));
    } else if (error.statusCode === 404) {
      answer = body('KMSG_ERR_ADMIN_NOT_FOUND', error.message);
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      answer = body('KMSG_ERR_ADMIN_BAD_QUERY', error.message);
    } else {
      answer = body('KMSG_ERR_ADMIN_INTERNAL', 'internal error');
    }
    const level = answer.statusCode >= 500 ? 'error' : 'info';
    deps.log[level]('request failed', { reqId: req.id, method: req.method, url: req.url, code: answer.code, error });
    return reply.code(answer.statusCode).type('application/json; charset=utf-8').send(answer);
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type('application/json; charset=utf-8').send(body('KMSG_ERR_ADMIN_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });

  for (const route of [healthzRoute, readyzRoute, statusRoute, clientsRoute, metricsRoute, dashboardRoute]) {
    void app.register(route, { ctx });
  }
  return app;
}
