import type { FastifyPluginAsync } from 'fastify';
import { AdminError } from '../errors.js';
import { DnsStatusSchema, LedgerStatusSchema, PolicyStatusSchema, StatusViewSchema, type DnsView } from '../schemas.js';
import { buildStatusView } from '../status-view.js';
import { callUpstream } from '../upstream.js';
import type { RouteOptions } from './health.route.js';
import { errorResponses } from './route-schemas.js';

export const POLICY_UPSTREAM = { name: 'activation-policy', schema: PolicyStatusSchema } as const;
export const LEDGER_UPSTREAM = { name: 'cmid-ledger', schema: LedgerStatusSchema } as const;
export const DNS_UPSTREAM = { name: 'dns-registrar', schema: DnsStatusSchema } as const;

/**
 * GET /v1/status: the `slmgr /dlv` view. Policy and ledger are required (503
 * or 502 with the catalogue code when one fails); the DNS section is optional
 * and shows its own failure instead of failing the whole view.
 */
export const statusRoute: FastifyPluginAsync<RouteOptions> = async (app, { ctx }) => {
  app.get('/v1/status', { schema: { response: { 200: StatusViewSchema, ...errorResponses(500, 502, 503) } } }, async () => {
    const { deps } = ctx;
    const dnsStatus = deps.dnsStatus;
    const [policy, ledger, dns] = await Promise.all([
      callUpstream(POLICY_UPSTREAM, () => deps.policyStatus(), ctx.upstreamTimeoutMs),
      callUpstream(LEDGER_UPSTREAM, () => deps.ledgerStatus(), ctx.upstreamTimeoutMs),
      dnsStatus === undefined
        ? Promise.resolve(undefined)
        : callUpstream(DNS_UPSTREAM, () => dnsStatus(), ctx.upstreamTimeoutMs).then(
            (s): DnsView => ({ available: true, domains: s.domains }),
            (e: unknown): DnsView => {
              deps.log.warn('dns status unavailable', { error: e });
              return { available: false, error: e instanceof AdminError ? e.message : String(e), domains: [] };
            },
          ),
    ]);
    const ingress = deps.ingressStats?.();
    return buildStatusView({
      policy,
      ledger,
      host: deps.host,
      startedAt: ctx.startedAt,
      now: ctx.now(),
      ...(ingress !== undefined && { ingress }),
      ...(dns !== undefined && { dns }),
    });
  });
};
