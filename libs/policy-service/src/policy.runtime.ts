import type { Tracer } from '@opentelemetry/api';
import { ConfigError, type Env, type Logger } from '@kmsgrid/config';
import { parsePolicyConfig, type PolicyConfig } from '@kmsgrid/policy-domain';
import type { Transport } from '@kmsgrid/transport';
import { createHostKeyIdentityStore, type IdentityEventStore } from './host-key-identity.store.js';
import { createPolicyService, type PolicyService } from './policy.service.js';
import { createLedgerClient, servePolicy } from './policy.rpc.js';

export interface PolicyRuntimeDeps {
  readonly env: Env;
  readonly transport: Transport;
  readonly store: IdentityEventStore;
  readonly log: Logger;
  readonly tracer?: Tracer;
  /** How long a decision waits for the ledger's durable record. Default 4000 ms. */
  readonly ledgerTimeoutMs?: number;
}

export interface PolicyRuntime {
  readonly service: PolicyService;
  readonly config: PolicyConfig;
  /** Stops taking decisions and waits for those in flight. */
  stop(): Promise<void>;
}

/**
 * Reads the policy configuration, loads (or generates once) the host-key
 * identities, and serves decisions on the transport. Shared by
 * apps/activation-policy and the all-in-one, so both run the same wiring.
 * Throws ConfigError for bad configuration.
 */
export async function startPolicyRuntime(deps: PolicyRuntimeDeps): Promise<PolicyRuntime> {
  const parsed = parsePolicyConfig(deps.env);
  if (!parsed.ok) throw new ConfigError(parsed.errors);
  const config = parsed.config;
  const identities = createHostKeyIdentityStore({ store: deps.store, log: deps.log });
  await identities.load(config);
  const service = createPolicyService({
    config,
    ledger: createLedgerClient(deps.transport, { timeoutMs: deps.ledgerTimeoutMs ?? 4000 }),
    identities,
    log: deps.log,
    ...(deps.tracer && { tracer: deps.tracer }),
  });
  const subscriptions = servePolicy(deps.transport, service);
  deps.log.info('activation policy serving', { hostKeys: config.hostKeyIds });
  return {
    service,
    config,
    stop: async () => {
      await Promise.all(subscriptions.map((s) => s.drain()));
    },
  };
}
