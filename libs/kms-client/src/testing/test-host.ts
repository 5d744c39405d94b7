import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  RpcServerConnection,
  decodeKmsRequest,
  encodeKmsResponse,
  type KmsRequest,
} from '../protocol.js';

/** What the test host does with one KMS request. */
export type TestHostAnswer =
  /** A correct response; `tamper` may alter its bytes (to test the client's checks). */
  | { readonly kind: 'respond'; readonly tamper?: (payload: Uint8Array) => Uint8Array }
  | { readonly kind: 'hresult'; readonly hresult: number }
  /** Close the socket without answering. */
  | { readonly kind: 'close' }
  /** Never answer (the client times out). */
  | { readonly kind: 'silence' }
  /** Answer with these bytes as the KMS payload (e.g. a corrupted response). */
  | { readonly kind: 'payload'; readonly payload: Uint8Array };

export interface TestHostOptions {
  readonly ndr64?: boolean;
  readonly btfn?: boolean;
  /** Fixed ePID (default: vlmcsd's built-in Windows ePID of the captures). */
  readonly epid?: string;
  /** 8-byte v6 HWID (default 3A1C049600B60076, vlmcsd's default). */
  readonly hwid?: Uint8Array;
  readonly count?: number;
  readonly activationInterval?: number;
  readonly renewalInterval?: number;
  /** Decides per request (0-based over the host's lifetime); default: respond. */
  readonly answer?: (request: KmsRequest, index: number) => TestHostAnswer;
  /** Close every connection as soon as it is accepted. */
  readonly closeOnAccept?: boolean;
}

export interface TestHost {
  readonly port: number;
  /** Every decoded request, in arrival order. */
  readonly requests: readonly KmsRequest[];
  /** Accepted TCP connections so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export const TEST_EPID = '03612-00206-556-123727-03-1033-17763.0000-2972018';
export const TEST_HWID = Uint8Array.from([0x3a, 0x1c, 0x04, 0x96, 0x00, 0xb6, 0x00, 0x76]);

/**
 * A small KMS host on 127.0.0.1 built from the protocol library's host side
 * (RpcServerConnection, decodeKmsRequest, encodeKmsResponse), answering fixed
 * values. For tests only (this library's, the CLI's and end-to-end tests).
 */
export async function startTestHost(opts: TestHostOptions = {}): Promise<TestHost> {
  const requests: KmsRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  let port = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (opts.closeOnAccept) {
      socket.destroy();
      return;
    }
    const rpc = new RpcServerConnection({
      ndr64: opts.ndr64 ?? true,
      btfn: opts.btfn ?? true,
      secondaryAddress: String(port),
      assocGroupId: (0x1000 + accepted) >>> 0,
      maxPduSize: 5840,
    });
    socket.on('data', (chunk) => {
      for (const ev of rpc.receive(chunk)) {
        if (ev.kind === 'send') socket.write(ev.bytes);
        else if (ev.kind === 'close') socket.end();
        else {
          let decoded;
          try {
            decoded = decodeKmsRequest(ev.payload);
          } catch {
            socket.write(rpc.respond(ev.callId, { kind: 'error', hresult: 0x8007000d }));
            continue;
          }
          const { request, context } = decoded;
          const index = requests.length;
          requests.push(request);
          const answer = opts.answer?.(request, index) ?? { kind: 'respond' };
          switch (answer.kind) {
            case 'respond': {
              const payload = encodeKmsResponse(
                {
                  kind: 'kms-response',
                  majorVersion: request.majorVersion,
                  minorVersion: request.minorVersion,
                  epid: opts.epid ?? TEST_EPID,
                  cmid: request.cmid,
                  clientTime: request.clientTime,
                  count: opts.count ?? 2 * request.nPolicy,
                  activationInterval: opts.activationInterval ?? 120,
                  renewalInterval: opts.renewalInterval ?? 10080,
                  ...(context.version === 6 && { hwid: opts.hwid ?? TEST_HWID }),
                },
                context,
              );
              socket.write(rpc.respond(ev.callId, { kind: 'ok', payload: answer.tamper ? answer.tamper(payload) : payload }));
              break;
            }
            case 'hresult':
              socket.write(rpc.respond(ev.callId, { kind: 'error', hresult: answer.hresult }));
              break;
            case 'payload':
              socket.write(rpc.respond(ev.callId, { kind: 'ok', payload: answer.payload }));
              break;
            case 'close':
              socket.destroy();
              return;
            case 'silence':
              break;
          }
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
