import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { TransportClosedError } from './errors.js';
import { connectNats, createNatsTransport, natsReadiness } from './nats.transport.js';
import { transportContractSuite } from './transport.contract.js';

// Real NATS (workspace convention): 127.0.0.1:4222, or NATS_URL.
const servers = process.env['NATS_URL'] ?? '127.0.0.1:4222';
transportContractSuite('nats', async () => createNatsTransport(await connect({ servers, name: 'transport-contract' })));

describe('natsReadiness', () => {
  it('passes while the server answers a PING and fails with TransportClosedError once the connection is closed', async () => {
    const nc = await connectNats(servers, 'readiness-test');
    const ready = natsReadiness(nc);
    expect(ready.name).toBe('nats');
    await expect(ready.check()).resolves.toBeUndefined();
    await nc.close();
    await expect(ready.check()).rejects.toBeInstanceOf(TransportClosedError);
  });
});
