// NATS header and error mapping shared by the NATS transport, its reply inbox and the JetStream publisher.
import { ErrorCode, headers as natsHeaders, type MsgHdrs } from 'nats';
import { InvalidMessageError, NoRespondersError, TransportClosedError, TransportError, TransportTimeoutError } from './errors.js';
import type { MessageHeaders } from './transport.js';

/** The transport's header record as NATS headers (undefined when empty). */
export function toNats(h: MessageHeaders): MsgHdrs | undefined {
  const keys = Object.keys(h);
  if (keys.length === 0) return undefined;
  const out = natsHeaders();
  for (const k of keys) out.set(k, h[k]!);
  return out;
}

/** NATS headers as the transport's single-valued record. */
export function fromNats(h: MsgHdrs | undefined): MessageHeaders {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  // Our headers are single-valued; a repeated name keeps its last value.
  for (const [k, values] of h) {
    const last = values[values.length - 1];
    if (last !== undefined) out[k] = last;
  }
  return out;
}

const natsCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

/** Maps a nats.js error to the transport's typed errors. */
export function mapError(err: unknown, subject: string, operation: string, timeoutMs = 0): Error {
  if (err instanceof TransportError) return err;
  switch (natsCode(err)) {
    case ErrorCode.NoResponders:
      return new NoRespondersError(subject, { cause: err });
    case ErrorCode.Timeout:
      return new TransportTimeoutError(subject, timeoutMs, { cause: err });
    case ErrorCode.ConnectionClosed:
    case ErrorCode.ConnectionDraining:
      return new TransportClosedError(operation, { cause: err });
    case ErrorCode.BadSubject:
      return new InvalidMessageError(`bad subject "${subject}"`, { cause: err });
    case ErrorCode.BadHeader:
      return new InvalidMessageError(`bad header on ${subject}`, { cause: err });
    default:
      return new TransportError(`${operation} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
