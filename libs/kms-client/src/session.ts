import { connect, type Socket } from 'node:net';
import type { RpcOptions } from './options.js';
import {
  KmsProtocolError,
  RpcClientConnection,
  RpcFramer,
  parsePdu,
  type RpcClientEvent,
  type RpcPdu,
} from './protocol.js';
import type { Target } from './target.js';
import type { Failure } from './result.js';

/** What the session hands up: RPC events together with the raw PDUs they came from. */
export type SessionItem =
  | { readonly kind: 'rpc'; readonly event: RpcClientEvent; readonly pdu?: RpcPdu }
  | { readonly kind: 'closed' }
  | { readonly kind: 'socket-error'; readonly error: NodeJS.ErrnoException };

export class SessionError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'SessionError';
  }
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/** Maps a socket error to a failure (refused/unreachable/unknown host: `refused`; resets: `closed`). */
export function socketFailure(err: NodeJS.ErrnoException, where: string): Failure {
  const code = err.code ?? 'ERROR';
  if (REFUSED.has(code)) return { kind: 'refused', message: `${where}: ${code === 'ECONNREFUSED' ? 'connection refused' : err.message} (${code})` };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { kind: 'closed', message: `${where}: connection reset by the host (${code})` };
  return { kind: 'network', message: `${where}: ${err.message} (${code})` };
}

/**
 * One TCP connection driving an {@link RpcClientConnection}. Received bytes go
 * to the connection and, separately, through a framer of our own so the
 * verifier sees every PDU as sent. Waits are bounded by the timeout.
 */
export class RpcSocketSession {
  readonly rpc: RpcClientConnection;
  private readonly tap = new RpcFramer({ maxPduSize: 0xffff });
  private tapBroken = false;
  private readonly queue: SessionItem[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  private constructor(
    private readonly socket: Socket,
    rpcOptions: RpcOptions,
    readonly local: string,
  ) {
    this.rpc = new RpcClientConnection(rpcOptions);
    socket.on('data', (chunk: Buffer) => this.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('error', (error: NodeJS.ErrnoException) => this.push({ kind: 'socket-error', error }));
    socket.on('close', () => this.push({ kind: 'closed' }));
  }

  /** Connects within `timeoutMs`; rejects with a {@link SessionError} (refused, timeout, network). */
  static open(target: Target, rpcOptions: RpcOptions, timeoutMs: number): Promise<RpcSocketSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SessionError({ kind: 'timeout', message: `connect: no connection within ${timeoutMs} ms` }));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new SessionError(socketFailure(err, 'connect')));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        const local = socket.localAddress?.includes(':') ? `[${socket.localAddress}]:${socket.localPort}` : `${socket.localAddress}:${socket.localPort}`;
        resolve(new RpcSocketSession(socket, rpcOptions, local));
      });
    });
  }

  send(bytes: Uint8Array): void {
    if (!this.ended) this.socket.write(bytes);
  }

  /**
   * The next item, or a `timeout` failure after `timeoutMs` (`waitingFor`
   * names what was awaited in the message).
   */
  async next(timeoutMs: number, waitingFor: string): Promise<SessionItem> {
    if (this.queue.length === 0) {
      let timer: NodeJS.Timeout | undefined;
      const arrived = await new Promise<boolean>((resolve) => {
        this.waiter = () => resolve(true);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      clearTimeout(timer);
      this.waiter = undefined;
      if (!arrived) throw new SessionError({ kind: 'timeout', message: `timeout: no ${waitingFor} within ${timeoutMs} ms` });
    }
    return this.queue.shift()!;
  }

  close(): void {
    this.ended = true;
    this.socket.destroy();
  }

  private push(item: SessionItem): void {
    if (item.kind !== 'rpc') {
      if (this.ended) return;
      if (item.kind === 'closed' && this.queue.some((q) => q.kind === 'socket-error')) return;
    }
    this.queue.push(item);
    this.waiter?.();
  }

  private onData(chunk: Uint8Array): void {
    let pdus: RpcPdu[] = [];
    if (!this.tapBroken) {
      try {
        pdus = this.tap.push(chunk).map((b) => parsePdu(b));
      } catch (e) {
        // The connection reports the same problem as an `error` event; keep the tap quiet from now on.
        if (!(e instanceof KmsProtocolError)) throw e;
        this.tapBroken = true;
      }
    }
    for (const event of this.rpc.receive(chunk)) this.push({ kind: 'rpc', event, ...matchPdu(event, pdus) });
  }
}

function matchPdu(event: RpcClientEvent, pdus: RpcPdu[]): { pdu?: RpcPdu } {
  const want =
    event.kind === 'bound' ? 'bind_ack' : event.kind === 'context_altered' ? 'alter_context_resp' : event.kind === 'result' ? 'response' : undefined;
  if (want === undefined) return {};
  const i = pdus.findIndex((p) => p.kind === want && (event.kind !== 'result' || p.callId === event.callId));
  if (i < 0) return {};
  const [pdu] = pdus.splice(i, 1);
  return { pdu: pdu! };
}
