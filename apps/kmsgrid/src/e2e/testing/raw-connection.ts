import { connect, type Socket } from 'node:net';
import { buildRequest, defaultCatalog, randomGuidV4, toClientOptions, type KmsProtocolVersion } from '@kmsgrid/kms-client';
import {
  RpcClientConnection,
  RpcFramer,
  decodeKmsResponse,
  encodeKmsRequest,
  parsePdu,
  type Guid,
  type KmsClientContext,
  type KmsRequest,
  type KmsResponse,
  type RpcClientEvent,
  type RpcPdu,
} from '@kmsgrid/kms-protocol';

/** What a raw call got back. */
export type RawAnswer =
  | { readonly kind: 'ok'; readonly payload: Uint8Array }
  | { readonly kind: 'error'; readonly hresult: number }
  | { readonly kind: 'fault'; readonly status: number }
  | { readonly kind: 'closed' };

/**
 * A TCP connection to a KMS listener for hostile tests: sends any bytes,
 * records every byte received, and can also bind and call like a client
 * (through the protocol library's client state machine).
 */
export class RawConnection {
  readonly rpc = new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true });
  private readonly chunks: Buffer[] = [];
  private readonly events: RpcClientEvent[] = [];
  private wake: (() => void) | undefined;
  private isClosed = false;
  /** Resolves when the peer (or we) closed the connection. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.events.push(...this.rpc.receive(c));
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawConnection(s));
      });
      s.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Half-closes our side (FIN): we send nothing more. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Every byte the host sent so far. */
  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The PDUs the host sent so far (throws if the bytes are not whole valid PDUs). */
  receivedPdus(): RpcPdu[] {
    const framer = new RpcFramer({ maxPduSize: 0xffff });
    const pdus = framer.push(this.received()).map((b) => parsePdu(b));
    if (framer.bufferedBytes !== 0) throw new Error(`${framer.bufferedBytes} trailing bytes after the host's PDUs`);
    return pdus;
  }

  /** Resolves true once the connection is closed, false after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.closed.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async next(timeoutMs: number): Promise<RpcClientEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.isClosed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for the host');
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 100));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    return this.events.shift();
  }

  /** bind (and alter_context when the host asks for it), as Windows does. */
  async bind(timeoutMs = 10_000): Promise<void> {
    this.write(this.rpc.bind());
    const ev = await this.next(timeoutMs);
    if (ev?.kind !== 'bound') throw new Error(`bind failed: ${JSON.stringify(ev)}`);
    if (ev.alterContextNeeded) {
      this.write(this.rpc.alterContext());
      const alt = await this.next(timeoutMs);
      if (alt?.kind !== 'context_altered') throw new Error(`alter_context failed: ${JSON.stringify(alt)}`);
    }
  }

  /** One RequestActivation call carrying `payload` (any bytes: valid, tampered or short). */
  async call(payload: Uint8Array, timeoutMs = 10_000): Promise<RawAnswer> {
    this.write(this.rpc.request(payload));
    const ev = await this.next(timeoutMs);
    if (ev === undefined) return { kind: 'closed' };
    switch (ev.kind) {
      case 'result':
        return ev.result.kind === 'error' ? { kind: 'error', hresult: ev.result.hresult >>> 0 } : { kind: 'ok', payload: ev.result.payload };
      case 'fault':
        return { kind: 'fault', status: ev.status >>> 0 };
      default:
        throw new Error(`unexpected answer ${JSON.stringify(ev)}`);
    }
  }
}

/** A well-formed KMS request payload, built like the kms-client builds it. */
export function kmsRequestPayload(o: { product: string; protocol?: KmsProtocolVersion; workstation: string; cmid?: Guid; now?: Date }): {
  readonly bytes: Uint8Array;
  readonly context: KmsClientContext;
  readonly request: KmsRequest;
} {
  const parsed = toClientOptions({ target: '127.0.0.1:1688', product: o.product, workstation: o.workstation, ...(o.protocol && { protocol: o.protocol }) });
  if (!parsed.ok) throw new Error(parsed.message);
  const built = buildRequest(parsed.options, defaultCatalog(), { cmid: o.cmid ?? randomGuidV4(), workstation: o.workstation, now: o.now ?? new Date() });
  if (!built.ok) throw new Error(built.message);
  const { bytes, context } = encodeKmsRequest(built.request);
  return { bytes, context, request: built.request };
}

/** The verified response of an `ok` answer (throws when a check fails). */
export function verifyAnswer(answer: RawAnswer, context: KmsClientContext): KmsResponse {
  if (answer.kind !== 'ok') throw new Error(`expected a response, got ${JSON.stringify(answer)}`);
  const verified = decodeKmsResponse(answer.payload, context);
  const failed = verified.checks.filter((c) => !c.ok);
  if (failed.length > 0) throw new Error(`response checks failed: ${JSON.stringify(failed)}`);
  return verified.response;
}
