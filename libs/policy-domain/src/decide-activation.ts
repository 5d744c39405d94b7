import type { LedgerRecordReply, LedgerRecordRequest, PolicyDecideReply, PolicyDecideRequest } from '@kmsgrid/contracts';
import { coveringHostKey, findKmsItem, type HostKey, type KmsItem } from '@kmsgrid/kms-catalog';
import { POLICY_HRESULTS } from './hresults.js';
import { PolicyServiceError } from './policy-errors.js';
import type { HostKeyIdentity } from './host-key-identity.js';
import type { PolicyConfig } from './policy-config.js';

/** Which rule refused a request; a label for logs and metrics. */
export type RefusalRule = 'version' | 'unknown-product' | 'application-mismatch' | 'not-covered' | 'clock-skew' | 'n-policy';

export interface RefuseDecision {
  readonly kind: 'refuse';
  readonly hresult: number;
  readonly reason: string;
  readonly rule: RefusalRule;
}

export interface CountDecision {
  readonly kind: 'count';
  /** The configured host key that covers the product; its ePID is the answer's. */
  readonly hostKey: HostKey;
  readonly kmsItem: KmsItem;
}

/** What the policy decided before asking the ledger. */
export type PolicyDecision = RefuseDecision | CountDecision;

/** Protocol majors a KMS host speaks (kms-facts.md section 7). */
const KNOWN_MAJOR_VERSIONS: ReadonlySet<number> = new Set([4, 5, 6]);

/**
 * Highest N-policy accepted. Genuine clients send 25 (Windows client) or 5
 * (server, Office). vlmcsd refuses more than 1000 with 0x8007000D (src/kms.c);
 * Microsoft's own limit is not documented, but an absurd minimum count is
 * exactly what the ledger would use to cap the reported count (2 x N), so we
 * keep vlmcsd's bound. N-policy 0 is accepted: vlmcsd treats it as 1 and no
 * source says a genuine host refuses it.
 */
export const MAX_N_POLICY = 1000;

const TICKS_PER_MINUTE = 600_000_000n;
/** 100-ns ticks between 1601-01-01 and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

const refuse = (hresult: number, rule: RefusalRule, reason: string): RefuseDecision => ({
  kind: 'refuse',
  hresult,
  rule,
  reason: reason.length > 200 ? `${reason.slice(0, 197)}...` : reason,
});

const fileTimeOf = (d: Date): bigint => BigInt(d.getTime()) * 10_000n + FILETIME_UNIX_EPOCH;

/**
 * The activation policy. Rules run in this order, first failure wins:
 * 1. protocol version 4, 5 or 6 and a decoded body, else 0x8007000D;
 * 2. KMS counted ID in the catalog, else 0xC004F042 (a host decides by KMS ID,
 *    never by SKU: kms-facts.md section 13);
 * 3. the request's application ID is the KMS item's, else 0xC004F042 (vlmcsd
 *    whitelisting level 1 does the same; it keeps one product from being
 *    counted in another application's bucket);
 * 4. a configured host key covers the KMS ID by group and generation, else 0xC004F042;
 * 5. client clock within `clockToleranceMinutes` of `now` (inclusive), else 0xC004F06C;
 * 6. N-policy at most MAX_N_POLICY, else 0x8007000D.
 *
 * @example decideActivation(req, config, new Date()) // { kind: 'count', hostKey, kmsItem } or { kind: 'refuse', hresult, reason, rule }
 */
export function decideActivation(req: PolicyDecideRequest, config: PolicyConfig, now: Date): PolicyDecision {
  const { major, minor } = req.version;
  if (!KNOWN_MAJOR_VERSIONS.has(major)) {
    return refuse(POLICY_HRESULTS.invalidData, 'version', `unsupported KMS protocol version ${major}.${minor}`);
  }
  const body = req.request;
  if (body === undefined) {
    return refuse(POLICY_HRESULTS.invalidData, 'version', `KMS protocol ${major}.${minor} request body could not be decoded`);
  }

  const kmsId = body.kmsCountedId.toLowerCase();
  const item = findKmsItem(kmsId);
  if (item === undefined) {
    return refuse(POLICY_HRESULTS.kmsIdMismatch, 'unknown-product', `unknown KMS counted ID ${kmsId}`);
  }
  if (item.applicationId !== body.applicationId.toLowerCase()) {
    return refuse(
      POLICY_HRESULTS.kmsIdMismatch,
      'application-mismatch',
      `application ID ${body.applicationId.toLowerCase()} is not that of ${item.name} (${item.applicationId})`,
    );
  }
  const hostKey = coveringHostKey(config.hostKeyIds, kmsId);
  if (hostKey === undefined) {
    return refuse(POLICY_HRESULTS.kmsIdMismatch, 'not-covered', `no configured host key activates ${item.name}`);
  }

  if (config.clockToleranceMinutes !== null) {
    // The contract guarantees digits; checked again so a bad caller gets a refusal, not a SyntaxError.
    if (!/^\d{1,20}$/.test(body.clientTime)) {
      return refuse(POLICY_HRESULTS.invalidTimestamp, 'clock-skew', `client time ${JSON.stringify(body.clientTime.slice(0, 40))} is not a FILETIME`);
    }
    const skew = BigInt(body.clientTime) - fileTimeOf(now);
    const limit = BigInt(config.clockToleranceMinutes) * TICKS_PER_MINUTE;
    if (skew > limit || -skew > limit) {
      const minutes = Number(skew / TICKS_PER_MINUTE);
      return refuse(
        POLICY_HRESULTS.invalidTimestamp,
        'clock-skew',
        `client clock is ${Math.abs(minutes)} min ${minutes > 0 ? 'ahead of' : 'behind'} the host (tolerance ${config.clockToleranceMinutes} min)`,
      );
    }
  }

  if (body.nPolicy > MAX_N_POLICY) {
    return refuse(POLICY_HRESULTS.invalidData, 'n-policy', `N-policy ${body.nPolicy} is above ${MAX_N_POLICY}`);
  }

  return { kind: 'count', hostKey, kmsItem: item };
}

/** The decision as the ledger records it (LedgerRecordRequest.decision). */
export function toLedgerDecision(decision: PolicyDecision): LedgerRecordRequest['decision'] {
  return decision.kind === 'count'
    ? { kind: 'count', hostKeyId: decision.hostKey.id }
    : { kind: 'refused', hresult: decision.hresult, reason: decision.reason };
}

/** The reply to the ingress for a refusal. */
export const refuseReply = (decision: RefuseDecision): PolicyDecideReply => ({
  kind: 'refuse',
  hresult: decision.hresult,
  reason: decision.reason,
});

/**
 * The reply to the ingress once the ledger has recorded a counted request:
 * the covering host key's ePID, the host HWID, the ledger's count and the
 * configured intervals. `identity` must be the one of `decision.hostKey`;
 * another one is a bug of the caller and throws KMSG_ERR_POLICY_INTERNAL
 * rather than hand out a wrong ePID.
 *
 * @example answerActivation(decision, { count: 50, newClient: true }, identity, config)
 */
export function answerActivation(
  decision: CountDecision,
  ledgerReply: LedgerRecordReply,
  identity: HostKeyIdentity,
  config: PolicyConfig,
): Extract<PolicyDecideReply, { kind: 'activate' }> {
  if (identity.hostKeyId !== decision.hostKey.id) {
    throw new PolicyServiceError('KMSG_ERR_POLICY_INTERNAL', `identity of ${identity.hostKeyId} used to answer for ${decision.hostKey.id}`);
  }
  return {
    kind: 'activate',
    epid: identity.epid,
    hwid: identity.hwid,
    count: ledgerReply.count,
    activationInterval: config.activationInterval,
    renewalInterval: config.renewalInterval,
  };
}
