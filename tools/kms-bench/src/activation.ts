import { connect, type Socket } from 'node:net';
import { KmsProtocolError, RpcClientConnection, decodeKmsResponse, type RpcClientEvent } from '@kmsgrid/kms-protocol';
import type { EncodedActivation } from './workload.js';

/**
 * Why an activation failed. `wrong-answer` is the one a host must never cause: the
 * response did not decode or verify (MAC, HMAC, hash, padding, echoed CMID, time,
 * version, IVs, ePID). `protocol` is an RPC-level answer that made no sense.
 */
export type ErrorKind = 'refused' | 'timeout' | 'closed' | 'network' | 'hresult' | 'fault' | 'bind-rejected' | 'protocol' | 'wrong-answer';
export const ERROR_KINDS: readonly ErrorKind[] = ['refused', 'timeout', 'closed', 'network', 'hresult', 'fault', 'bind-rejected', 'protocol', 'wrong-answer'];

export type Outcome =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly kind: ErrorKind; readonly detail: string; readonly hresult?: number };

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** Windows proposes NDR32, NDR64 and bind-time feature negotiation, multiplexed (vlmcs defaults mimic it). */
const WINDOWS_RPC = { ndr32: true, ndr64: true, btfn: true, multiplex: true } as const;

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Maps a socket error code to an error kind. */
export function socketErrorKind(code: string | undefined): ErrorKind {
  if (code !== undefined && REFUSED.has(code)) return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'closed';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'network';
}

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** Verifies a KMS response payload against the request it answers. */
export function verifyResponse(payload: Uint8Array, item: EncodedActivation): Outcome {
  try {
    const { response, checks } = decodeKmsResponse(payload, item.context);
    for (const c of checks) {
      if (!c.ok) return { ok: false, kind: 'wrong-answer', detail: `check ${c.name} failed${c.detail ? `: ${c.detail}` : ''}` };
    }
    return { ok: true, count: response.count };
  } catch (e) {
    const detail = e instanceof KmsProtocolError ? `${e.code}: ${e.message}` : String(e);
    return { ok: false, kind: 'wrong-answer', detail };
  }
}

/**
 * One activation as a Windows client makes it: a new TCP connection, bind
 * (alter_context when the host refused NDR32), one request, verify, close.
 * Never rejects; every failure is an {@link Outcome}.
 */
export function activate(target: Target, item: EncodedActivation, timeoutMs: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let done = false;
    let socket: Socket | undefined = undefined;
    const rpc = new RpcClientConnection(WINDOWS_RPC);
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, kind: 'timeout', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const onEvent = (ev: RpcClientEvent): void => {
      switch (ev.kind) {
        case 'bound':
          socket!.write(ev.alterContextNeeded ? rpc.alterContext() : rpc.request(item.payload));
          return;
        case 'context_altered':
          socket!.write(rpc.request(item.payload));
          return;
        case 'result':
          if (ev.result.kind === 'error') {
            finish({ ok: false, kind: 'hresult', detail: `HRESULT ${hex32(ev.result.hresult)}`, hresult: ev.result.hresult });
          } else {
            finish(verifyResponse(ev.result.payload, item));
          }
          return;
        case 'fault':
          finish({ ok: false, kind: 'fault', detail: `RPC fault ${hex32(ev.status)}` });
          return;
        case 'bind_rejected':
          finish({ ok: false, kind: 'bind-rejected', detail: `bind_nak reason ${ev.reason}` });
          return;
        case 'error':
          finish({ ok: false, kind: 'protocol', detail: `${ev.error.code}: ${ev.error.message}` });
          return;
        default: {
          const never: never = ev;
          finish({ ok: false, kind: 'protocol', detail: `unexpected event ${JSON.stringify(never)}` });
        }
      }
    };
    socket = connect({ host: target.host, port: target.port, noDelay: true });
    socket.on('connect', () => socket!.write(rpc.bind()));
    socket.on('data', (chunk: Buffer) => {
      for (const ev of rpc.receive(chunk)) {
        onEvent(ev);
        if (done) return;
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, kind: socketErrorKind(err.code), detail: `${err.code ?? 'socket error'}: ${err.message}` }),
    );
    socket.on('close', () => finish({ ok: false, kind: 'closed', detail: 'connection closed before the answer' }));
  });
}
