export type {
  Transport,
  TransportMessage,
  TransportReply,
  ReceivedReply,
  MessageHeaders,
  RequestOptions,
  ServeOptions,
  SubscribeOptions,
  PublishOptions,
  RequestHandler,
  MessageHandler,
  Subscription,
} from './transport.js';
export {
  TransportError,
  TransportTimeoutError,
  NoRespondersError,
  RemoteHandlerError,
  TransportClosedError,
  InvalidMessageError,
  CodecError,
  ServiceError,
  SERVICE_ERROR_CODE,
} from './errors.js';
export { SERVICE_ERROR_HEADERS } from './instrument.js';
export type { TransportOptions } from './instrument.js';
export { createInProcessTransport, createInProcessBus, InProcessBus } from './in-process.transport.js';
export type { InProcessTransport, InProcessTransportOptions } from './in-process.transport.js';
export { connectNats, createNatsTransport, natsReadiness } from './nats.transport.js';
export { createJetStreamPublisher, JetStreamPublishError } from './jetstream-publisher.js';
export type { JetStreamPublisher } from './jetstream-publisher.js';
export type { NatsTransportOptions } from './nats.transport.js';
export { bigintJsonCodec } from './codec.js';
export type { Codec, BigintJsonCodecOptions } from './codec.js';
export { defineRpc, createRpcClient, serveRpc } from './rpc.js';
export type { RpcDefinition, RpcSpec, RpcClient, RpcClientOptions, CallOptions, RpcContext } from './rpc.js';
