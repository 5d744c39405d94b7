import { Type, type Static } from '@sinclair/typebox';
import { jsonCodec } from './schema.js';

/**
 * Read side of dns-registrar: the last registration outcome per domain, as
 * the admin API's `/v1/status` shows it. Answered from memory by the
 * registrar when it runs with NATS_URL.
 */
export const DNS_QUERY_SUBJECTS = {
  status: 'kmsgrid.dns.v1.status',
} as const;

/** Queue group of the DNS queries. */
export const DNS_QUERY_QUEUE = 'dns-registrar-query';

/** ISO 8601 UTC, as `Date#toISOString` writes it. */
const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$' });

/** Last outcome of the SRV registration of one domain. */
export const DnsDomainStatusViewSchema = Type.Object({
  domain: Type.String({ minLength: 1, maxLength: 253 }),
  /** The SRV record in zone-file form, e.g. `_vlmcs._tcp.corp.example. 3600 IN SRV 0 0 1688 kms1.corp.example.` */
  record: Type.Optional(Type.String({ maxLength: 600 })),
  /** Last outcome (`published`, `refreshed`, `withdrawn`, `refused`, `timeout`, ...) or the state before any. */
  outcome: Type.String({ minLength: 1, maxLength: 40 }),
  /** False while the registration is failing or has not been tried yet. */
  ok: Type.Boolean(),
  at: Type.Union([Timestamp, Type.Null()]),
  message: Type.Optional(Type.String({ maxLength: 500 })),
  /** 12293 while failing: the event Microsoft's KMS host logs when it cannot publish (kms-facts §5). */
  windowsEventId: Type.Optional(Type.Literal(12293)),
});
export type DnsDomainStatusView = Static<typeof DnsDomainStatusViewSchema>;

/** Query `kmsgrid.dns.v1.status`: no parameters. */
export const DnsStatusRequestSchema = Type.Object({});
export type DnsStatusRequest = Static<typeof DnsStatusRequestSchema>;

export const DnsStatusReplySchema = Type.Object({
  domains: Type.Array(DnsDomainStatusViewSchema, { maxItems: 100 }),
});
export type DnsStatusReply = Static<typeof DnsStatusReplySchema>;

export const dnsStatusRequestCodec = jsonCodec('DnsStatusRequest', DnsStatusRequestSchema);
export const dnsStatusReplyCodec = jsonCodec('DnsStatusReply', DnsStatusReplySchema);
