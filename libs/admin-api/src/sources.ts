import {
  LEDGER_QUERY_SUBJECTS,
  POLICY_QUERY_SUBJECTS,
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

/**
 * The admin API's data sources over the services' query subjects
 * (`kmsgrid.policy.v1.status`, `kmsgrid.ledger.v1.status`,
 * `kmsgrid.ledger.v1.clients`): NATS in split mode, the in-process transport
 * in the all-in-one, one mapping for both.
 */
export function createAdminSources(
  transport: Transport,
  options: { readonly timeoutMs?: number } = {},
): Pick<AdminDeps, 'policyStatus' | 'ledgerStatus' | 'listClients'> {
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
