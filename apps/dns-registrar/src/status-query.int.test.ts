import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { connect } from 'nats';
import { dnsStatusReplyCodec, dnsStatusRequestCodec } from '@kmsgrid/contracts';
import { startDnsRegistrar, startTestBind, type DnsRegistrar, type TestBind } from '@kmsgrid/dns-registrar';
import { createEventStore, createPostgresDb, migrateToLatest } from '@kmsgrid/event-store';
import { createNatsTransport, createRpcClient, defineRpc, type Transport } from '@kmsgrid/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDnsStatus } from './status-query.js';

const natsUrl = process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const databaseUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
// A private subject: the admin API's test needs the real kmsgrid.dns.v1.status unserved.
const subject = `test.dns.v1.status.${randomBytes(4).toString('hex')}`;

describe('serveDnsStatus over NATS', () => {
  let bind: TestBind;
  let transport: Transport;
  const db = createPostgresDb<unknown>({ connectionString: databaseUrl, max: 2 });
  const schema = `dns_query_${randomBytes(5).toString('hex')}`;
  let registrar: DnsRegistrar | undefined;
  beforeAll(async () => {
    bind = await startTestBind();
    transport = createNatsTransport(await connect({ servers: natsUrl, name: 'dns-status-query-test' }));
    await migrateToLatest(db.db, { schema });
  });
  afterAll(async () => {
    await registrar?.stop({ withdraw: false });
    await transport?.drain();
    await bind?.stop();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.db);
    await db.close();
  });

  it('answers with the registrar view: a wrong TSIG key shows refused with event 12293', async () => {
    registrar = startDnsRegistrar({
      config: {
        domains: [{ domain: 'kms.test', priority: 0, weight: 0 }],
        server: bind.server,
        key: { ...bind.key, secret: randomBytes(32) },
        target: 'kms1.kms.test',
        port: 1688,
        ttl: 600,
        addresses: [],
        refreshMs: 60_000,
      },
      store: createEventStore(db.db, { schema }),
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      exchange: { timeoutMs: 500, udpTries: 2 },
    });
    await registrar.firstAttempts;
    const sub = serveDnsStatus(transport, registrar, { subject, queue: 'dns-registrar-query-test' });
    try {
      const client = createRpcClient(transport, { defaultTimeoutMs: 2000 });
      const reply = await client.call(defineRpc({ subject, request: dnsStatusRequestCodec, reply: dnsStatusReplyCodec }), {});
      expect(reply).toEqual({
        domains: [
          {
            domain: 'kms.test',
            record: '_vlmcs._tcp.kms.test. 600 IN SRV 0 0 1688 kms1.kms.test.',
            outcome: 'refused',
            ok: false,
            at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
            message: expect.stringMatching(/NOTAUTH/) as unknown as string,
            windowsEventId: 12293,
          },
        ],
      });
    } finally {
      await sub.drain();
    }
  });
});
