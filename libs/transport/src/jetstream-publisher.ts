import { Empty, headers as natsHeaders, type JetStreamClient, type JetStreamPublishOptions, type NatsConnection, type Payload, type PubAck } from 'nats';
import { TransportError } from './errors.js';
import { ReplyInbox } from './reply-inbox.js';
import type { ReceivedReply } from './transport.js';

/** What the outbox relay needs of JetStream: `publish` with a de-duplication id, headers and a timeout. */
export type JetStreamPublisher = Pick<JetStreamClient, 'publish'>;

/** JetStream refused a message (its PubAck carried an error). */
export class JetStreamPublishError extends TransportError {
  override readonly name = 'JetStreamPublishError';
  constructor(
    readonly subject: string,
    /** JetStream's error code (e.g. 10060: expected stream does not match). */
    readonly errCode: number | undefined,
    description: string,
  ) {
    super(`JetStream refused the message on ${subject}: ${description}`);
  }
}

const DEFAULT_TIMEOUT_MS = 5000;
const decoder = new TextDecoder();

/**
 * Publishes to JetStream like `nc.jetstream().publish()`, with the PubAck
 * awaited over one shared reply inbox ({@link ReplyInbox}) instead of a
 * nats.js request per message: no timer, deferreds and NatsError per publish.
 * Supports `msgID` (sent as `Nats-Msg-Id`), `headers` and `timeout`; the
 * `expect` preconditions are refused. Publishes made in one turn go out in
 * one socket write, in call order, so JetStream stores them in that order.
 *
 * @example
 * const relay = createOutboxRelay({ store, js: createJetStreamPublisher(nc) });
 */
export function createJetStreamPublisher(nc: NatsConnection, options: { inboxPrefix?: string } = {}): JetStreamPublisher {
  const replies = new ReplyInbox(nc, options.inboxPrefix);
  return {
    publish(subject: string, payload?: Payload, opts?: Partial<JetStreamPublishOptions>): Promise<PubAck> {
      if (opts?.expect !== undefined) return Promise.reject(new TransportError('createJetStreamPublisher does not support expect; use nc.jetstream()'));
      const headers = opts?.headers ?? (opts?.msgID === undefined ? undefined : natsHeaders());
      const send = (replyTo: string): void => {
        if (opts?.msgID !== undefined) headers!.set('Nats-Msg-Id', opts.msgID);
        nc.publish(subject, payload ?? Empty, { reply: replyTo, ...(headers && { headers }) });
      };
      return replies.send(subject, opts?.timeout ?? DEFAULT_TIMEOUT_MS, `publish ${subject}`, send).then((reply) => pubAck(subject, reply));
    },
  };
}

/** Reads JetStream's answer: `{"stream","seq","duplicate"?,"domain"?}` or `{"error":{...}}`. */
function pubAck(subject: string, reply: ReceivedReply): PubAck {
  let body: { stream?: unknown; seq?: unknown; duplicate?: unknown; domain?: unknown; error?: { code?: number; err_code?: number; description?: string } };
  try {
    body = JSON.parse(decoder.decode(reply.data)) as typeof body;
  } catch {
    throw new JetStreamPublishError(subject, undefined, 'the acknowledgement is not JSON (is a stream listening on this subject?)');
  }
  if (body.error !== undefined) throw new JetStreamPublishError(subject, body.error.err_code, `${body.error.description ?? 'error'} (${body.error.code ?? '?'})`);
  if (typeof body.stream !== 'string' || typeof body.seq !== 'number') throw new JetStreamPublishError(subject, undefined, 'the acknowledgement has no stream and sequence');
  return { stream: body.stream, seq: body.seq, duplicate: body.duplicate === true, domain: typeof body.domain === 'string' ? body.domain : '' };
}
