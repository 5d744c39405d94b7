import type { PolicyDecideReply } from '@kmsgrid/contracts';
// The ingress-only scenario measures the ingress library alone, with no policy behind it;
// a benchmark tool may reach into one service's scope for that.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createIngressServer, type IngressServer } from '@kmsgrid/ingress-server';

/** What the constant policy answers: a well-formed ePID and HWID (vlmcsd's default HWID), count 50, default intervals. */
export const CONSTANT_REPLY: PolicyDecideReply = {
  kind: 'activate',
  epid: '06401-00206-551-123456-03-1033-17763.0000-2552019',
  hwid: '3A1C049600B60076',
  count: 50,
  activationInterval: 120,
  renewalInterval: 10080,
};

/**
 * The ingress with a policy that answers at once and the same for everyone: what
 * the ingress costs without NATS, policy or ledger behind it.
 */
export async function startConstantIngress(host: string, port: number): Promise<{ server: IngressServer; port: number }> {
  const server = createIngressServer({
    listen: [{ host, port }],
    ingressId: 'kms-bench',
    decide: () => Promise.resolve(CONSTANT_REPLY),
  });
  const [bound] = await server.listen();
  return { server, port: bound!.port };
}
