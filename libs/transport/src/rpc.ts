import { bigintJsonCodec, type Codec } from './codec.js';
import { CodecError, SERVICE_ERROR_CODE, ServiceError } from './errors.js';
import type { MessageHeaders, Subscription, Transport, TransportReply } from './transport.js';

/** A typed request/reply endpoint: subject plus the codecs of both directions. */
export interface RpcDefinition<Req, Rep> {
  readonly subject: string;
  readonly request: Codec<Req>;
  readonly reply: Codec<Rep>;
  /** Default timeout of calls; the client's default when absent. */
  readonly timeoutMs: number | undefined;
}

export interface RpcSpec<Req, Rep> {
  readonly subject: string;
  /** Default: {@link bigintJsonCodec} without validation. */
  readonly request?: Codec<Req>;
  /** Default: {@link bigintJsonCodec} without validation. */
  readonly reply?: Codec<Rep>;
  readonly timeoutMs?: number;
}

/**
 * Declares a typed RPC once, for both the caller and the server.
 *
 * @example
 * export const decideRpc = defineRpc({ subject: SUBJECTS.policyDecide, request: policyDecideRequestCodec, reply: policyDecideReplyCodec });
 */
export function defineRpc<Req, Rep>(spec: RpcSpec<Req, Rep>): RpcDefinition<Req, Rep> {
  return {
    subject: spec.subject,
    request: spec.request ?? bigintJsonCodec<Req>(),
    reply: spec.reply ?? bigintJsonCodec<Rep>(),
    timeoutMs: spec.timeoutMs,
  };
}

export interface CallOptions {
  readonly headers?: MessageHeaders;
  readonly timeoutMs?: number;
}

export interface RpcClient {
  /**
   * Encodes, requests and decodes. Rejects with the transport's errors
   * (RemoteHandlerError for a service error) or CodecError.
   */
  call<Req, Rep>(rpc: RpcDefinition<Req, Rep>, request: Req, options?: CallOptions): Promise<Rep>;
}

export interface RpcClientOptions {
  /** Timeout when neither the call nor the RPC sets one. Default 5000 ms. */
  readonly defaultTimeoutMs?: number;
}

/** @example const policy = createRpcClient(transport); const reply = await policy.call(decideRpc, req); */
export function createRpcClient(transport: Transport, options: RpcClientOptions = {}): RpcClient {
  const fallback = options.defaultTimeoutMs ?? 5000;
  return {
    async call<Req, Rep>(rpc: RpcDefinition<Req, Rep>, request: Req, callOptions: CallOptions = {}): Promise<Rep> {
      let payload: Uint8Array;
      try {
        payload = rpc.request.encode(request);
      } catch (err) {
        throw err instanceof CodecError ? err : new CodecError(`cannot encode request for ${rpc.subject}: ${message(err)}`, { cause: err });
      }
      const reply = await transport.request(rpc.subject, payload, {
        timeoutMs: callOptions.timeoutMs ?? rpc.timeoutMs ?? fallback,
        ...(callOptions.headers === undefined ? {} : { headers: callOptions.headers }),
      });
      try {
        return rpc.reply.decode(reply.data);
      } catch (err) {
        throw new CodecError(`bad reply from ${rpc.subject}: ${message(err)}`, { cause: err });
      }
    },
  };
}

/** What a typed handler sees besides the request. */
export interface RpcContext {
  readonly subject: string;
  readonly headers: MessageHeaders;
}

/**
 * Serves a typed RPC in a queue group. An undecodable request is answered
 * with service error 400 (SERVICE_ERROR_CODE.badRequest); throw ServiceError
 * for a catalogued error; anything else thrown becomes 500.
 *
 * @example serveRpc(transport, decideRpc, { queue: QUEUES.policy }, (req) => policy.decide(req));
 */
export function serveRpc<Req, Rep>(
  transport: Transport,
  rpc: RpcDefinition<Req, Rep>,
  options: { readonly queue: string },
  handler: (request: Req, ctx: RpcContext) => Promise<Rep>,
): Subscription {
  // Not async: the transport turns a synchronous throw into the same service error, one promise fewer per request.
  const encode = (reply: Rep): TransportReply => ({ data: rpc.reply.encode(reply) });
  return transport.serve(rpc.subject, options, (msg) => {
    let request: Req;
    try {
      request = rpc.request.decode(msg.data);
    } catch (err) {
      throw new ServiceError(SERVICE_ERROR_CODE.badRequest, `bad request: ${message(err)}`, { cause: err });
    }
    return handler(request, { subject: msg.subject, headers: msg.headers }).then(encode);
  });
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
