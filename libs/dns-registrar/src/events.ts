import type { DnsRecord, RcodeName, TsigErrorName } from '@kmsgrid/dns-client';

/**
 * Event types of the `dns-registration:<domain>` streams (relayed to
 * `kmsgrid.events.dns-registration.<type>`). Past tense, one per outcome.
 */
export const DNS_EVENT = {
  published: 'DnsRecordsPublished',
  refreshed: 'DnsRecordsRefreshed',
  withdrawn: 'DnsRecordsWithdrawn',
  refused: 'DnsUpdateRefused',
  timedOut: 'DnsUpdateTimedOut',
  failed: 'DnsUpdateFailed',
} as const;
export type DnsEventType = (typeof DNS_EVENT)[keyof typeof DNS_EVENT];

/** How one attempt ended (the status shows the last one). */
export type DnsOutcome = 'published' | 'refreshed' | 'withdrawn' | 'refused' | 'timed-out' | 'failed';

/** What the registrar was doing: the first publish since start, a periodic refresh, or the withdrawal at shutdown. */
export type DnsOperation = 'publish' | 'refresh' | 'withdraw';

/** The server's answer as recorded: RCODE, TSIG error, and whether its signature checked out. */
export type DnsServerAnswer = Readonly<{
  rcode: RcodeName;
  tsigError?: TsigErrorName;
  verified: boolean;
  transport: 'udp' | 'tcp';
  /** The server's clock (epoch seconds) from a BADTIME answer. */
  serverTime?: number;
}>;

/** Data of every dns-registration event. */
export type DnsRegistrationEventData = Readonly<{
  domain: string;
  zone: string;
  /** host:port of the DNS server. */
  server: string;
  /** The target host whose records these are: instances sharing a domain each own their target's records. */
  owner: string;
  operation: DnsOperation;
  /** Records added (publish/refresh) or deleted (withdraw) by this update. */
  records: readonly DnsRecord[];
  /** Earlier records of this owner deleted along with a publish (changed priority, weight, port, TTL or address). */
  removed: readonly DnsRecord[];
  /** The server's answer, when one came. */
  answer?: DnsServerAnswer;
  /** Why there was no usable answer (timeout, network, malformed, unverified), or a refusal explained. */
  error?: Readonly<{ kind: string; message: string }>;
  /** 1 for the first try, n for the n-th consecutive one. */
  attempt: number;
  durationMs: number;
}>;

/** The stream of one domain: `dns-registration:<domain>`. */
export function dnsRegistrationStreamId(domain: string): string {
  return `dns-registration:${domain}`;
}

/** The event type of an outcome. */
export function outcomeEventType(outcome: DnsOutcome): DnsEventType {
  switch (outcome) {
    case 'published':
      return DNS_EVENT.published;
    case 'refreshed':
      return DNS_EVENT.refreshed;
    case 'withdrawn':
      return DNS_EVENT.withdrawn;
    case 'refused':
      return DNS_EVENT.refused;
    case 'timed-out':
      return DNS_EVENT.timedOut;
    case 'failed':
      return DNS_EVENT.failed;
    default: {
      const never: never = outcome;
      return never;
    }
  }
}
