export {
  parsePolicyConfig,
  epidVariableName,
  INTERVAL_MIN,
  INTERVAL_MAX,
  DEFAULT_ACTIVATION_INTERVAL,
  DEFAULT_RENEWAL_INTERVAL,
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_LCID,
  DEFAULT_HOST_BUILD,
} from './policy-config.js';
export type { PolicyConfig, ParsePolicyConfigResult } from './policy-config.js';
export { decideActivation, answerActivation, refuseReply, toLedgerDecision, MAX_N_POLICY } from './decide-activation.js';
export type { PolicyDecision, RefuseDecision, CountDecision, RefusalRule } from './decide-activation.js';
export {
  generateIdentity,
  generateConfiguredIdentity,
  HWID_RE,
  effectiveIdentity,
  hostKeyIdentityDecider,
  hostKeyIdentityStreamId,
  HostKeyIdentityGeneratedDataSchema,
  hostKeyIdentityGeneratedDataCodec,
} from './host-key-identity.js';
export type {
  HostKeyIdentity,
  RandomBytes,
  GenerateIdentityOptions,
  HostKeyIdentityGenerated,
  HostKeyIdentityGeneratedData,
  HostKeyIdentityEvent,
  HostKeyIdentityCommand,
  GenerateHostKeyIdentity,
  HostKeyIdentityState,
} from './host-key-identity.js';
export { POLICY_HRESULTS, POLICY_HRESULT_TABLE, formatHresult } from './hresults.js';
export type { PolicyHresult, PolicyHresultName, PolicyHresultInfo } from './hresults.js';
export { POLICY_ERRORS, PolicyServiceError, policyErrorFromNats } from './policy-errors.js';
export type { PolicyErrorCode, PolicyErrorSpec } from './policy-errors.js';
