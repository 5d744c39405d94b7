import { connect } from 'nats';
import { createNatsTransport } from './nats.transport.js';
import { transportContractSuite } from './transport.contract.js';

// Real NATS (workspace convention): 127.0.0.1:4222, or NATS_URL.
const servers = process.env['NATS_URL'] ?? '127.0.0.1:4222';
transportContractSuite('nats', async () => createNatsTransport(await connect({ servers, name: 'transport-contract' })));
