import type { DnsStatusReply } from '@kmsgrid/contracts';
import type { DnsRegistrarStatus } from './registrar.js';

/**
 * Registrar state -> the `kmsgrid.dns.v1.status` answer (last outcome per
 * domain), the one mapping behind `/v1/status`'s DNS section in the
 * all-in-one and in split mode.
 *
 * @example serveRpc(transport, dnsStatusRpc, { queue: DNS_QUERY_QUEUE }, async () => dnsStatusView(registrar.status()));
 */
export function dnsStatusView(s: DnsRegistrarStatus): DnsStatusReply {
  return {
    domains: s.domains.map((d) => {
      const srv = d.records.find((r) => r.type === 'SRV');
      const last = d.lastOutcome;
      return {
        domain: d.domain,
        ...(srv?.type === 'SRV' && {
          record: `${srv.name}. ${srv.ttl} IN SRV ${srv.data.priority} ${srv.data.weight} ${srv.data.port} ${srv.data.target}.`,
        }),
        outcome: last?.outcome ?? d.state,
        ok: d.state === 'published' || d.state === 'withdrawn',
        at: last?.at ?? null,
        ...(last?.message !== undefined && { message: last.message.slice(0, 500) }),
        ...(d.windowsEventId !== undefined && { windowsEventId: d.windowsEventId }),
      };
    }),
  };
}
