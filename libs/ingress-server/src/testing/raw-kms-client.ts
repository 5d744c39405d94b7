import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  RpcClientConnection,
  decodeKmsResponse,
  encodeKmsRequest,
  fileTimeFromDate,
  parseGuid,
  type KmsRequest,
  type RpcClientEvent,
  type VerifiedKmsResponse,
} from '@kmsgrid/kms-protocol';

/** Test-only KMS client on the protocol library: one connection, bind, N requests. */
export interface RawResult {
  readonly kind: 'ok' | 'error' | 'closed';
  readonly hresult?: number;
  readonly verified?: VerifiedKmsResponse;
}

export function windows10Request(over: Partial<KmsRequest> = {}): KmsRequest {
  return {
    kind: 'kms-request',
    majorVersion: 6,
    minorVersion: 0,
    vmInfo: 0,
    licenseStatus: 2,
    bindingExpiration: 43200,
    applicationId: parseGuid('55c92734-d682-4d71-983e-d6ec3f16059f'),
    skuId: parseGuid('73111121-5638-40f6-bc11-f1d7b0d64300'),
    kmsCountedId: parseGuid('58e2134f-8e11-4d17-9cb2-91069c151148'),
    cmid: parseGuid(randomUUID()),
    nPolicy: 25,
    clientTime: fileTimeFromDate(new Date()),
    previousCmid: parseGuid('00000000-0000-0000-0000-000000000000'),
    workstationName: 'test.example.test',
    ...over,
  };
}

export class RawKmsClient {
  private readonly rpc = new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true });
  private readonly events: RpcClientEvent[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.events.push(...this.rpc.receive(c));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawKmsClient> {
    const s = connect({ port, host });
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    return new RawKmsClient(s);
  }

  private async next(timeoutMs = 5000): Promise<RpcClientEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error('timeout waiting for the server');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
    return this.events.shift();
  }

  async bind(): Promise<void> {
    this.socket.write(this.rpc.bind());
    const ev = await this.next();
    if (ev?.kind !== 'bound') throw new Error(`bind failed: ${JSON.stringify(ev)}`);
    if (ev.alterContextNeeded) {
      this.socket.write(this.rpc.alterContext());
      const alt = await this.next();
      if (alt?.kind !== 'context_altered') throw new Error(`alter_context failed: ${JSON.stringify(alt)}`);
    }
  }

  async activate(request: KmsRequest): Promise<RawResult> {
    const { bytes, context } = encodeKmsRequest(request);
    this.socket.write(this.rpc.request(bytes));
    const ev = await this.next(10_000);
    if (!ev) return { kind: 'closed' };
    if (ev.kind !== 'result') throw new Error(`unexpected ${JSON.stringify(ev)}`);
    if (ev.result.kind === 'error') return { kind: 'error', hresult: ev.result.hresult };
    return { kind: 'ok', verified: decodeKmsResponse(ev.result.payload, context) };
  }

  /** Resolves when the server closes the connection (or after timeoutMs with false). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
