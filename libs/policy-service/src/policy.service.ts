import type { Tracer } from '@opentelemetry/api';
import { silentLogger, type Logger } from '@kmsgrid/config';
import type { LedgerRecordReply, LedgerRecordRequest, PolicyDecideReply, PolicyDecideRequest, PolicyStatusReply } from '@kmsgrid/contracts';
import {
  PolicyServiceError,
  answerActivation,
  decideActivation,
  formatHresult,
  refuseReply,
  toLedgerDecision,
  type PolicyConfig,
  type PolicyDecision,
} from '@kmsgrid/policy-domain';
import { ATTR, SPAN, getTracer, withSpan } from '@kmsgrid/telemetry';
import { fromLedgerCallError } from './errors.js';
import type { HostKeyIdentityStore, LoadedHostKeyIdentity } from './host-key-identity.store.js';

/** The ledger as the policy needs it: record one request, durably, and get the count. */
export interface LedgerPort {
  /** Resolves only once the request is recorded; rejects (PolicyServiceError) otherwise. */
  record(request: LedgerRecordRequest): Promise<LedgerRecordReply>;
}

export interface PolicyServiceDeps {
  readonly config: PolicyConfig;
  readonly ledger: LedgerPort;
  /** Loaded before the service takes requests (`identities.load(config)`). */
  readonly identities: HostKeyIdentityStore;
  readonly clock?: () => Date;
  readonly log?: Logger;
  /** Default `getTracer('@kmsgrid/policy-service')` (a no-op until an app starts the SDK). */
  readonly tracer?: Tracer;
}

/** The activation-policy service: decisions and the status query. */
export interface PolicyService {
  /**
   * Decides one request. A refusal is recorded through the ledger, then
   * answered; an accepted request is recorded (counted) and answered with the
   * ledger's count and the covering host key's ePID/HWID. Rejects with
   * PolicyServiceError when the ledger fails: nothing is answered that was
   * not recorded (ADR 0003).
   */
  decide(request: PolicyDecideRequest): Promise<PolicyDecideReply>;
  /** Configured host keys with their identities, and the intervals. */
  status(): PolicyStatusReply;
}

const HRESULT_SUCCESS = 0;

/** The ledger request of a decision: every request leaves a record, refused or counted. */
function ledgerRequestOf(request: PolicyDecideRequest, decision: PolicyDecision): LedgerRecordRequest {
  return {
    origin: request.origin,
    version: request.version,
    ...(request.request === undefined ? {} : { request: request.request }),
    decision: toLedgerDecision(decision),
  };
}

/**
 * Creates the policy service over a ledger port and loaded identities.
 *
 * @example
 * await identities.load(config);
 * const policy = createPolicyService({ config, ledger: createLedgerClient(transport, { timeoutMs: 2000 }), identities });
 * servePolicy(transport, policy);
 */
export function createPolicyService(deps: PolicyServiceDeps): PolicyService {
  const { config, ledger, identities } = deps;
  const clock = deps.clock ?? (() => new Date());
  const log = deps.log ?? silentLogger;
  const tracer = deps.tracer ?? getTracer('@kmsgrid/policy-service');

  const identityOf = (hostKeyId: string): LoadedHostKeyIdentity => {
    const identity = identities.get(hostKeyId);
    if (identity === undefined) {
      throw new PolicyServiceError('KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', `no identity loaded for host key ${hostKeyId} (identities.load not run?)`);
    }
    return identity;
  };

  const record = async (request: LedgerRecordRequest): Promise<LedgerRecordReply> => {
    try {
      return await ledger.record(request);
    } catch (err) {
      throw fromLedgerCallError(err);
    }
  };

  async function decide(request: PolicyDecideRequest): Promise<PolicyDecideReply> {
    const body = request.request;
    const attributes = {
      [ATTR.kmsVersion]: `${request.version.major}.${request.version.minor}`,
      ...(body === undefined
        ? {}
        : {
            [ATTR.kmsCountedId]: body.kmsCountedId,
            [ATTR.applicationId]: body.applicationId,
            [ATTR.cmid]: body.cmid,
            [ATTR.requiredClientCount]: body.nPolicy,
          }),
    };
    return withSpan(tracer, SPAN.policyDecide, attributes, async (span) => {
      const decision = decideActivation(request, config, clock());
      if (decision.kind === 'refuse') {
        span.setAttribute(ATTR.hresult, decision.hresult);
        await record(ledgerRequestOf(request, decision));
        log.debug('refused', { requestId: request.origin.requestId, hresult: formatHresult(decision.hresult), rule: decision.rule, reason: decision.reason });
        return refuseReply(decision);
      }
      // Checked before recording: a request must not be counted when it cannot be answered.
      const identity = identityOf(decision.hostKey.id);
      const recorded = await record(ledgerRequestOf(request, decision));
      const reply = answerActivation(decision, recorded, identity, config);
      span.setAttributes({ [ATTR.hresult]: HRESULT_SUCCESS, [ATTR.currentCount]: reply.count, [ATTR.epid]: reply.epid });
      return reply;
    });
  }

  function status(): PolicyStatusReply {
    return {
      hostKeys: config.hostKeyIds.map((id) => {
        const identity = identityOf(id);
        return {
          id: identity.hostKey.id,
          name: identity.hostKey.name,
          group: identity.hostKey.group,
          generation: identity.hostKey.generation,
          epid: identity.epid,
          hwid: identity.hwid,
          identitySource: identity.epidSource,
          hwidSource: identity.hwidSource,
          coveredProducts: identity.hostKey.covers.length,
        };
      }),
      activationInterval: config.activationInterval,
      renewalInterval: config.renewalInterval,
      clockToleranceMinutes: config.clockToleranceMinutes,
    };
  }

  return { decide, status };
}
