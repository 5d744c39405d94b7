import {
  DNS_QUERY_SUBJECTS,
  LEDGER_QUERY_SUBJECTS,
  POLICY_QUERY_SUBJECTS,
  dnsStatusReplyCodec,
  dnsStatusRequestCodec,
  ledgerClientsReplyCodec,
  ledgerClientsRequestCodec,
  ledgerStatusReplyCodec,
  ledgerStatusRequestCodec,
  policyStatusReplyCodec,
  policyStatusRequestCodec,
  type LedgerClientsRequest,
} from '@kmsgrid/contracts';
import { createRpcClient, defineRpc, type Transport } from '@kmsgrid/transport';
import type { AdminDeps } from './context.js';
import type { ClientQuery } from './schemas.js';

const policyStatusRpc = defineRpc({ subject: POLICY_QUERY_SUBJECTS.status, request: policyStatusRequestCodec, reply: policyStatusReplyCodec });
const ledgerStatusRpc = defineRpc({ subject: LEDGER_QUERY_SUBJECTS.status, request: ledgerStatusRequestCodec, reply: ledgerStatusReplyCodec });
const ledgerClientsRpc = defineRpc({ subject: LEDGER_QUERY_SUBJECTS.clients, request: ledgerClientsRequestCodec, reply: ledgerClientsReplyCodec });
const dnsStatusRpc = defineRpc({ subject: DNS_QUERY_SUBJECTS.status, request: dnsStatusRequestCodec, reply: dnsStatusReplyCodec });

/** Options of {@link createAdminSources}. */
export interface AdminSourcesOptions {
  /** Per-query deadline, default 4000 ms. */
  readonly timeoutMs?: number;
  /**
   * Ask dns-registrar (`kmsgrid.dns.v1.status`) for `/v1/status`'s DNS
   * section. Off by default: with publishing off nobody answers, and the
   * section would only ever say "unavailable".
   */
  readonly dns?: boolean;
}

/**
 * The admin API's data sources over the services' query subjects
 * (`kmsgrid.policy.v1.status`, `kmsgrid.ledger.v1.status`,
 * `kmsgrid.ledger.v1.clients`, with `dns` also `kmsgrid.dns.v1.status`): NATS
 * in split mode, the in-process transport in the all-in-one, one mapping for
 * both. No DNS answer (no responders, timeout) shows as an unavailable DNS
 * section in `/v1/status`, not a failed view.
 *
 * @example buildApp({ ...createAdminSources(createNatsTransport(nc), { dns: true }), host, readiness, log });
 */
export function createAdminSources(
  transport: Transport,
  options: AdminSourcesOptions = {},
): Pick<AdminDeps, 'policyStatus' | 'ledgerStatus' | 'listClients' | 'dnsStatus'> {
  const client = createRpcClient(transport, { defaultTimeoutMs: options.timeoutMs ?? 4000 });
  return {
    async policyStatus() {
      const s = await client.call(policyStatusRpc, {});
      return {
        activationIntervalMinutes: s.activationInterval,
        renewalIntervalMinutes: s.renewalInterval,
        clockToleranceMinutes: s.clockToleranceMinutes,
        hostKeys: s.hostKeys.map((k) => ({ ...k })),
      };
    },
    ledgerStatus: () => client.call(ledgerStatusRpc, {}),
    listClients: (query: ClientQuery) => client.call(ledgerClientsRpc, toLedgerClientsRequest(query)),
    // The contract's answer is the admin's DnsStatus shape (mapped once, by dns-registrar's dnsStatusView).
    ...(options.dns === true && { dnsStatus: () => client.call(dnsStatusRpc, {}) }),
  };
}

function toLedgerClientsRequest(q: ClientQuery): LedgerClientsRequest {
  return {
    limit: q.limit,
    ...(q.applicationId !== undefined && { applicationId: q.applicationId }),
    ...(q.workstation !== undefined && { workstation: q.workstation }),
    ...(q.address !== undefined && { address: q.address }),
    ...(q.licenseStatus !== undefined && { licenseStatus: q.licenseStatus }),
    ...(q.seenSince !== undefined && { seenSince: q.seenSince }),
    ...(q.cursor !== undefined && { cursor: q.cursor }),
  };
}
