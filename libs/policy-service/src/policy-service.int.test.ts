import { connect } from 'nats';
import { createNatsTransport } from '@kmsgrid/transport';
import { afterAll } from 'vitest';
import { createHostKeyIdentityStore } from './host-key-identity.store.js';
import { SUITE_HOST_KEYS, configWith } from './testing/fixtures.js';
import { throwawaySchema, type TestSchema } from './testing/postgres.js';
import { policyServiceSuite } from './testing/policy-service.suite.js';

// Int tier: real NATS (127.0.0.1:4222 or NATS_URL), subjects unique to the test so
// other suites on the same server never answer, and identities generated and
// stored in a throwaway schema of the real Postgres.
const servers = process.env['NATS_URL'] ?? '127.0.0.1:4222';
let pg: TestSchema | undefined;
afterAll(async () => {
  await pg?.drop();
});

const nats = async (name: string) => createNatsTransport(await connect({ servers, name }));

policyServiceSuite('NATS with identities in Postgres', {
  isolatedSubjects: true,
  transports: async () => {
    const [policy, ledger, caller] = await Promise.all([nats('policy'), nats('ledger-stand-in'), nats('caller')]);
    return { policy, ledger, caller };
  },
  identities: async () => {
    pg = await throwawaySchema('svc');
    const config = configWith({ KMSGRID_HOST_KEYS: SUITE_HOST_KEYS });
    const identities = createHostKeyIdentityStore({ store: pg.openStore() });
    await identities.load(config);
    return { config, identities };
  },
});
