import { Type, type Static } from '@sinclair/typebox';
import { jsonCodec } from './schema.js';

/**
 * Read side of activation-policy: what the host is configured with and the
 * identity (ePID, HWID) each host key answers with. Any replica answers it
 * from memory.
 */
export const POLICY_QUERY_SUBJECTS = {
  status: 'kmsgrid.policy.v1.status',
} as const;

/** Queue group of the policy queries (apart from `decide`'s, so a query never waits behind activations). */
export const POLICY_QUERY_QUEUE = 'activation-policy-query';

const U32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });

/** Where a value of a host key's identity comes from: the operator's KMSGRID_* variables or generated once and stored. */
export const IdentitySourceSchema = Type.Union([Type.Literal('configured'), Type.Literal('generated')]);
export type IdentitySourceDto = Static<typeof IdentitySourceSchema>;

/** One configured host key (CSVLK) and the identity it answers with. */
export const PolicyHostKeyStatusSchema = Type.Object({
  /** Catalog id, e.g. `windows-server-2019`. */
  id: Type.String({ minLength: 1, maxLength: 100 }),
  name: Type.String({ maxLength: 200 }),
  /** Product key group, e.g. `server`, `client-vl`, `office`. */
  group: Type.String({ maxLength: 40 }),
  generation: U32,
  epid: Type.String({ minLength: 1, maxLength: 63 }),
  hwid: Type.String({ pattern: '^[0-9A-Fa-f]{16}$' }),
  /** Source of the ePID (KMSGRID_EPID_<KEY> or generated). */
  identitySource: IdentitySourceSchema,
  /** Source of the HWID (KMSGRID_HWID or generated). */
  hwidSource: IdentitySourceSchema,
  /** KMS counted IDs this key activates (a host decides by KMS ID, not SKU). */
  coveredProducts: U32,
});
export type PolicyHostKeyStatusDto = Static<typeof PolicyHostKeyStatusSchema>;

/** Query `kmsgrid.policy.v1.status`: no parameters. */
export const PolicyStatusRequestSchema = Type.Object({});
export type PolicyStatusRequest = Static<typeof PolicyStatusRequestSchema>;

export const PolicyStatusReplySchema = Type.Object({
  /** In the configured order (preference when several keys cover a product). */
  hostKeys: Type.Array(PolicyHostKeyStatusSchema),
  /** Minutes (slmgr /sai). */
  activationInterval: U32,
  /** Minutes (slmgr /sri). */
  renewalInterval: U32,
  /** Allowed client clock skew in minutes; null when the check is off. */
  clockToleranceMinutes: Type.Union([U32, Type.Null()]),
});
export type PolicyStatusReply = Static<typeof PolicyStatusReplySchema>;

export const policyStatusRequestCodec = jsonCodec('PolicyStatusRequest', PolicyStatusRequestSchema);
export const policyStatusReplyCodec = jsonCodec('PolicyStatusReply', PolicyStatusReplySchema);
