import { randomUUID } from 'node:crypto';
import { connect, headers, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoRespondersError, TransportClosedError, TransportTimeoutError } from './errors.js';
import { createJetStreamPublisher, JetStreamPublishError } from './jetstream-publisher.js';

// Real NATS JetStream (workspace convention): 127.0.0.1:4222, or NATS_URL.
const servers = process.env['NATS_URL'] ?? '127.0.0.1:4222';

describe('createJetStreamPublisher (real JetStream)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers, name: 'jetstream-publisher-test' });
    jsm = await nc.jetstreamManager();
  });
  afterAll(async () => {
    for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  async function freshStream(): Promise<{ name: string; subject: string }> {
    const id = randomUUID().replaceAll('-', '');
    const name = `JSPUB_${id}`;
    await jsm.streams.add({ name, subjects: [`jspub.${id}.>`], storage: StorageType.Memory, duplicate_window: 60_000_000_000 });
    streams.push(name);
    return { name, subject: `jspub.${id}` };
  }

  it('stores messages in call order with their headers, and flags a repeated Nats-Msg-Id as duplicate', async () => {
    const { name, subject } = await freshStream();
    const js = createJetStreamPublisher(nc);
    const h = headers();
    h.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => js.publish(`${subject}.e`, new TextEncoder().encode(`m${i}`), { msgID: `id-${i}`, ...(i === 0 && { headers: h }) })),
    );
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(acks.every((a) => a.stream === name && !a.duplicate)).toBe(true);

    const again = await js.publish(`${subject}.e`, new TextEncoder().encode('m0 again'), { msgID: 'id-0' });
    expect(again).toMatchObject({ stream: name, seq: 1, duplicate: true });
    const first = await jsm.streams.getMessage(name, { seq: 1 });
    expect(new TextDecoder().decode(first.data)).toBe('m0');
    expect(first.header.get('Nats-Msg-Id')).toBe('id-0');
    expect(first.header.get('traceparent')).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect((await jsm.streams.info(name)).state.messages).toBe(50);
  });

  it('rejects with NoRespondersError when no stream takes the subject', async () => {
    const js = createJetStreamPublisher(nc);
    await expect(js.publish(`jspub.none.${randomUUID()}`, new Uint8Array([1]), { msgID: 'x' })).rejects.toBeInstanceOf(NoRespondersError);
  });

  it('rejects with JetStreamPublishError when JetStream answers an error, and refuses expect', async () => {
    const { subject } = await freshStream();
    const js = createJetStreamPublisher(nc);
    // A reply that is not a PubAck: a plain subscriber answers on a subject the stream does not take.
    const fake = nc.subscribe(`${subject}-fake`, { callback: (_e, m) => m.respond(new TextEncoder().encode('{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"}}')) });
    await nc.flush();
    const err = await js.publish(`${subject}-fake`, new Uint8Array([1])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamPublishError);
    expect(err).toMatchObject({ errCode: 10060, message: expect.stringContaining('expected stream does not match') });
    fake.unsubscribe();
    await expect(js.publish(`${subject}.e`, new Uint8Array([1]), { expect: { streamName: 'X' } })).rejects.toThrow(/expect/);
  });

  it('times out when no acknowledgement comes, and fails pending publishes when the connection closes', async () => {
    const own = await connect({ servers, name: 'jetstream-publisher-close' });
    const js = createJetStreamPublisher(own);
    // A subscriber that never answers: the publish waits for its timeout.
    own.subscribe('jspub.silent.*', { callback: () => undefined });
    await own.flush();
    await expect(js.publish('jspub.silent.a', new Uint8Array([1]), { timeout: 100 })).rejects.toBeInstanceOf(TransportTimeoutError);
    const waiting = js.publish('jspub.silent.b', new Uint8Array([1]), { timeout: 10_000 });
    await own.close();
    await expect(waiting).rejects.toBeInstanceOf(TransportClosedError);
    await expect(js.publish('jspub.silent.c', new Uint8Array([1]))).rejects.toBeInstanceOf(TransportClosedError);
  });
});
