import { DNS_QUERY_QUEUE, DNS_QUERY_SUBJECTS, dnsStatusReplyCodec, dnsStatusRequestCodec } from '@kmsgrid/contracts';
import { dnsStatusView, type DnsRegistrar } from '@kmsgrid/dns-registrar';
import { defineRpc, serveRpc, type Subscription, type Transport } from '@kmsgrid/transport';

/** Where {@link serveDnsStatus} answers; override only to isolate tests sharing one NATS. */
export interface ServeDnsStatusOptions {
  readonly subject?: string;
  readonly queue?: string;
}

/**
 * Answers `kmsgrid.dns.v1.status` (queue group `dns-registrar-query`) from the
 * registrar's memory, for the split admin API's `/v1/status`.
 *
 * @example const sub = serveDnsStatus(createNatsTransport(nc), registrar); // on shutdown: await sub.drain()
 */
export function serveDnsStatus(transport: Transport, registrar: Pick<DnsRegistrar, 'status'>, options: ServeDnsStatusOptions = {}): Subscription {
  const rpc = defineRpc({ subject: options.subject ?? DNS_QUERY_SUBJECTS.status, request: dnsStatusRequestCodec, reply: dnsStatusReplyCodec });
  return serveRpc(transport, rpc, { queue: options.queue ?? DNS_QUERY_QUEUE }, async () => dnsStatusView(registrar.status()));
}
