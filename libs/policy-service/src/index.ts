export { createPolicyService } from './policy.service.js';
export type { PolicyService, PolicyServiceDeps, LedgerPort } from './policy.service.js';
export { createHostKeyIdentityStore, identityStreamId } from './host-key-identity.store.js';
export type {
  HostKeyIdentityStore,
  HostKeyIdentityStoreOptions,
  IdentityEventStore,
  IdentitySource,
  LoadedHostKeyIdentity,
} from './host-key-identity.store.js';
export {
  servePolicy,
  createLedgerClient,
  createPolicyClient,
  policyDecideRpc,
  policyStatusRpc,
  ledgerRecordRpc,
  DEFAULT_POLICY_SUBJECTS,
} from './policy.rpc.js';
export type { ServePolicyOptions, LedgerClientOptions, PolicyClientOptions, PolicyClient, PolicySubjects } from './policy.rpc.js';
export { toServiceError, fromPolicyCallError, fromLedgerCallError } from './errors.js';
export { startPolicyRuntime } from './policy.runtime.js';
export type { PolicyRuntime, PolicyRuntimeDeps } from './policy.runtime.js';
