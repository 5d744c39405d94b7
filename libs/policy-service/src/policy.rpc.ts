import {
  POLICY_QUERY_QUEUE,
  POLICY_QUERY_SUBJECTS,
  QUEUES,
  SUBJECTS,
  ledgerRecordReplyCodec,
  ledgerRecordRequestCodec,
  policyDecideReplyCodec,
  policyDecideRequestCodec,
  policyStatusReplyCodec,
  policyStatusRequestCodec,
  type LedgerRecordReply,
  type LedgerRecordRequest,
  type PolicyDecideReply,
  type PolicyDecideRequest,
  type PolicyStatusReply,
  type PolicyStatusRequest,
} from '@kmsgrid/contracts';
import { PolicyServiceError } from '@kmsgrid/policy-domain';
import { createRpcClient, defineRpc, serveRpc, type Codec, type RpcDefinition, type Subscription, type Transport } from '@kmsgrid/transport';
import { fromLedgerCallError, fromPolicyCallError, messageOf, toServiceError } from './errors.js';
import type { LedgerPort, PolicyService } from './policy.service.js';

/** Subjects of the policy's hops; override only to isolate tests or tenants sharing one NATS. */
export interface PolicySubjects {
  readonly decide: string;
  readonly status: string;
  readonly ledgerRecord: string;
}

export const DEFAULT_POLICY_SUBJECTS: PolicySubjects = {
  decide: SUBJECTS.policyDecide,
  status: POLICY_QUERY_SUBJECTS.status,
  ledgerRecord: SUBJECTS.ledgerRecord,
};

/** `kmsgrid.policy.v1.decide` with the contracts' codecs (what a caller such as kms-ingress uses). */
export const policyDecideRpc = (subject: string = SUBJECTS.policyDecide): RpcDefinition<PolicyDecideRequest, PolicyDecideReply> =>
  defineRpc({ subject, request: policyDecideRequestCodec, reply: policyDecideReplyCodec });

/** `kmsgrid.policy.v1.status`. */
export const policyStatusRpc = (subject: string = POLICY_QUERY_SUBJECTS.status): RpcDefinition<PolicyStatusRequest, PolicyStatusReply> =>
  defineRpc({ subject, request: policyStatusRequestCodec, reply: policyStatusReplyCodec });

/** `kmsgrid.ledger.v1.record`. */
export const ledgerRecordRpc = (subject: string = SUBJECTS.ledgerRecord): RpcDefinition<LedgerRecordRequest, LedgerRecordReply> =>
  defineRpc({ subject, request: ledgerRecordRequestCodec, reply: ledgerRecordReplyCodec });

// serveRpc answers an undecodable request with a bare 400; the server decodes
// with the contract itself so a bad request carries KMSG_ERR_POLICY_BAD_REQUEST.
const rawBytes: Codec<Uint8Array> = { encode: (bytes) => bytes, decode: (bytes) => bytes };

const decodeOrBadRequest = <T>(codec: { decode(bytes: Uint8Array): T }, bytes: Uint8Array): T => {
  try {
    return codec.decode(bytes);
  } catch (err) {
    // The contracts' codecs throw ContractError naming the message and the failing fields.
    throw new PolicyServiceError('KMSG_ERR_POLICY_BAD_REQUEST', messageOf(err), { cause: err });
  }
};

export interface ServePolicyOptions {
  /** Queue group of `decide`; default QUEUES.policy (`activation-policy`). */
  readonly queue?: string;
  /** Queue group of the status query; default POLICY_QUERY_QUEUE (`activation-policy-query`). */
  readonly queryQueue?: string;
  readonly subjects?: Partial<Pick<PolicySubjects, 'decide' | 'status'>>;
}

/**
 * Serves `kmsgrid.policy.v1.decide` and `kmsgrid.policy.v1.status` in their
 * queue groups. Failures cross the hop as service errors with the policy
 * catalogue's NATS code and `kind` (KMSG_ERR_POLICY_*); a refusal is a reply,
 * not an error.
 *
 * @example const subs = servePolicy(transport, policy); // on shutdown: await Promise.all(subs.map((s) => s.drain()))
 */
export function servePolicy(transport: Transport, service: PolicyService, options: ServePolicyOptions = {}): readonly Subscription[] {
  const decideServer = defineRpc<Uint8Array, PolicyDecideReply>({
    subject: options.subjects?.decide ?? DEFAULT_POLICY_SUBJECTS.decide,
    request: rawBytes,
    reply: policyDecideReplyCodec,
  });
  const statusServer = defineRpc<Uint8Array, PolicyStatusReply>({
    subject: options.subjects?.status ?? DEFAULT_POLICY_SUBJECTS.status,
    request: rawBytes,
    reply: policyStatusReplyCodec,
  });
  const decide = serveRpc(transport, decideServer, { queue: options.queue ?? QUEUES.policy }, async (bytes) => {
    try {
      return await service.decide(decodeOrBadRequest(policyDecideRequestCodec, bytes));
    } catch (err) {
      throw toServiceError(err);
    }
  });
  const status = serveRpc(transport, statusServer, { queue: options.queryQueue ?? POLICY_QUERY_QUEUE }, async (bytes) => {
    try {
      decodeOrBadRequest(policyStatusRequestCodec, bytes);
      return service.status();
    } catch (err) {
      throw toServiceError(err);
    }
  });
  return [decide, status];
}

export interface LedgerClientOptions {
  /** How long to wait for the ledger's commit; past it the request is not answered (the client retries). */
  readonly timeoutMs: number;
  readonly subject?: string;
}

/**
 * The ledger port over the transport (`kmsgrid.ledger.v1.record`). Rejects
 * with PolicyServiceError: KMSG_ERR_POLICY_LEDGER_UNAVAILABLE (timeout, no
 * responders, ledger error) or KMSG_ERR_POLICY_LEDGER_BAD_REPLY.
 *
 * @example const ledger = createLedgerClient(transport, { timeoutMs: 2000 });
 */
export function createLedgerClient(transport: Transport, options: LedgerClientOptions): LedgerPort {
  const rpc = ledgerRecordRpc(options.subject);
  const client = createRpcClient(transport, { defaultTimeoutMs: options.timeoutMs });
  return {
    async record(request) {
      try {
        return await client.call(rpc, request, { timeoutMs: options.timeoutMs });
      } catch (err) {
        throw fromLedgerCallError(err);
      }
    },
  };
}

export interface PolicyClientOptions {
  readonly timeoutMs: number;
  readonly subjects?: Partial<Pick<PolicySubjects, 'decide' | 'status'>>;
}

/** A caller of the policy (kms-ingress, admin-api, tests). */
export interface PolicyClient {
  /** Rejects with PolicyServiceError for a policy failure, or the transport's error (timeout, no responders). */
  decide(request: PolicyDecideRequest): Promise<PolicyDecideReply>;
  status(): Promise<PolicyStatusReply>;
}

/** @example const policy = createPolicyClient(transport, { timeoutMs: 3000 }); const reply = await policy.decide(req); */
export function createPolicyClient(transport: Transport, options: PolicyClientOptions): PolicyClient {
  const decideRpc = policyDecideRpc(options.subjects?.decide);
  const statusRpc = policyStatusRpc(options.subjects?.status);
  const client = createRpcClient(transport, { defaultTimeoutMs: options.timeoutMs });
  const call = async <Req, Rep>(rpc: RpcDefinition<Req, Rep>, request: Req): Promise<Rep> => {
    try {
      return await client.call(rpc, request);
    } catch (err) {
      throw fromPolicyCallError(err);
    }
  };
  return {
    decide: (request) => call(decideRpc, request),
    status: () => call(statusRpc, {}),
  };
}
