import { createInProcessBus, createInProcessTransport } from '@kmsgrid/transport';
import { createHostKeyIdentityStore } from './host-key-identity.store.js';
import { SUITE_HOST_KEYS, configWith, untouchableStore } from './testing/fixtures.js';
import { policyServiceSuite } from './testing/policy-service.suite.js';

// Unit tier: in-process transport on a fresh bus per test (the real subjects,
// nobody else on it) and operator-configured identities, which need no event
// store (the store here rejects any access).
policyServiceSuite('the in-process transport', {
  isolatedSubjects: false,
  transports: async () => {
    const bus = createInProcessBus();
    return {
      policy: createInProcessTransport({ bus }),
      ledger: createInProcessTransport({ bus }),
      caller: createInProcessTransport({ bus }),
    };
  },
  identities: async () => {
    const config = configWith({
      KMSGRID_HOST_KEYS: SUITE_HOST_KEYS,
      KMSGRID_EPID_WINDOWS_SERVER_2019: '03612-00206-556-123456-03-1033-17763.0000-0012026',
      KMSGRID_EPID_OFFICE_2019: '03612-00206-271-654321-03-1033-17763.0000-3002025',
      KMSGRID_HWID: '3A1C049600B60076',
    });
    const identities = createHostKeyIdentityStore({ store: untouchableStore });
    await identities.load(config);
    return { config, identities };
  },
});
