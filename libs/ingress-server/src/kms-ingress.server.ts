import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { SpanKind, SpanStatusCode, context, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { PolicyDecideReply, PolicyDecideRequest } from '@kmsgrid/contracts';
import { formatHostPort, silentLogger, type ListenAddress, type Logger } from '@kmsgrid/config';
import {
  KmsProtocolError,
  RpcServerConnection,
  decodeKmsRequest,
  encodeKmsResponse,
  fromHex,
  peekKmsVersion,
  type RpcServerEvent,
} from '@kmsgrid/kms-protocol';
import { ATTR, SPAN } from '@kmsgrid/telemetry';
import { toDecideRequest, toKmsResponse } from './mappers.js';

/** ERROR_INVALID_DATA: what Microsoft hosts answer to a request they cannot read (kms-facts section 6). */
export const HRESULT_INVALID_DATA = 0x8007000d;

export interface IngressOptions {
  /** Addresses to listen on; `[::]` is opened IPv6-only when an IPv4 wildcard is listed too. */
  readonly listen: readonly ListenAddress[];
  /** Identifies this replica in the ledger (pod name in Kubernetes). */
  readonly ingressId: string;
  /** Asks the activation policy (NATS request/reply in split mode, in-process in the all-in-one). */
  readonly decide: (request: PolicyDecideRequest) => Promise<PolicyDecideReply>;
  readonly ndr64?: boolean;
  readonly btfn?: boolean;
  /** Concurrent connections; further ones are dropped by the kernel accept path. Default 20000. */
  readonly maxConnections?: number;
  /** A connection with no bytes for this long is closed (Microsoft RPC clients give up after 30 s). */
  readonly idleTimeoutMs?: number;
  /** Hard limit on one connection's life, so a client dripping bytes cannot hold a slot forever. */
  readonly maxConnectionAgeMs?: number;
  /** Largest PDU accepted; KMS PDUs are about 300 bytes. Default 8192. */
  readonly maxPduSize?: number;
  readonly tracer?: Tracer;
  readonly log?: Logger;
}

export interface IngressStats {
  readonly connectionsAccepted: number;
  readonly connectionsActive: number;
  readonly connectionsDropped: number;
  readonly requests: number;
  readonly activated: number;
  readonly refused: number;
  readonly invalid: number;
  readonly unavailable: number;
  readonly protocolErrors: number;
}

export interface IngressServer {
  /** Resolves with the bound addresses (port 0 becomes the real port). */
  listen(): Promise<ListenAddress[]>;
  /** Stops accepting, lets answers in flight finish, closes idle connections; destroys the rest after graceMs. */
  close(graceMs?: number): Promise<void>;
  stats(): IngressStats;
  readonly addresses: readonly ListenAddress[];
}

type Counters = { -readonly [K in keyof IngressStats]: IngressStats[K] };

/**
 * The KMS RPC endpoint: frames DCE/RPC, negotiates bind/alter_context, decodes
 * KMS v4/v5/v6, asks the policy, encodes the answer. Holds no state beyond a
 * connection, so replicas scale horizontally.
 *
 * @example const s = createIngressServer({ listen: [{ host: '0.0.0.0', port: 1688 }], ingressId: 'i-1', decide }); await s.listen();
 */
export function createIngressServer(options: IngressOptions): IngressServer {
  const log = options.log ?? silentLogger;
  const tracer = options.tracer ?? trace.getTracer('kmsgrid.ingress');
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const maxAgeMs = options.maxConnectionAgeMs ?? 120_000;
  const maxPduSize = options.maxPduSize ?? 8192;
  const counters: Counters = {
    connectionsAccepted: 0,
    connectionsActive: 0,
    connectionsDropped: 0,
    requests: 0,
    activated: 0,
    refused: 0,
    invalid: 0,
    unavailable: 0,
    protocolErrors: 0,
  };
  const servers: Server[] = [];
  const connections = new Set<Connection>();
  const bound: ListenAddress[] = [];
  let draining = false;

  interface Connection {
    readonly socket: Socket;
    busy: boolean;
    end(): void;
  }

  /** Association group ids: a counter seeded once at random (randomBytes per connection cost ~2 us). */
  const assocGroupIds = assocGroupIdSequence(randomBytes(4).readUInt32LE(0));

  /**
   * One accepted connection. `localPort` is the listener's port (an accepted socket's local
   * port always is), which spares a getsockname per connection; `secondaryAddress` is its text.
   */
  function onConnection(socket: Socket, localPort: number, secondaryAddress: string): void {
    if (draining) {
      socket.destroy();
      return;
    }
    counters.connectionsAccepted++;
    counters.connectionsActive++;
    const remoteAddress = normalizeAddress(socket.remoteAddress);
    const span = tracer.startSpan(SPAN.rpcConnection, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR.networkPeerAddress]: remoteAddress, [ATTR.networkPeerPort]: socket.remotePort ?? 0, [ATTR.serverPort]: localPort },
    });
    const connCtx = trace.setSpan(context.active(), span);
    const rpc = new RpcServerConnection({
      ndr64: options.ndr64 ?? true,
      btfn: options.btfn ?? true,
      secondaryAddress,
      assocGroupId: assocGroupIds(),
      maxPduSize,
    });
    const pending: RpcServerEvent[] = [];
    let closing = false;
    const conn: Connection = {
      socket,
      busy: false,
      end: () => {
        closing = true;
        pending.length = 0;
        socket.end();
      },
    };
    connections.add(conn);
    const ageTimer = setTimeout(() => {
      log.debug('connection reached its maximum age', { remoteAddress });
      socket.destroy();
    }, maxAgeMs);
    ageTimer.unref();
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on('error', (err) => log.debug('connection error', { remoteAddress, error: err.message }));
    socket.on('close', () => {
      clearTimeout(ageTimer);
      connections.delete(conn);
      counters.connectionsActive--;
      span.end();
    });
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      pending.push(...rpc.receive(chunk));
      void pump();
    });

    const pump = async (): Promise<void> => {
      if (conn.busy) return;
      conn.busy = true;
      try {
        while (pending.length > 0 && !closing) {
          const ev = pending.shift()!;
          switch (ev.kind) {
            case 'send':
              socket.write(ev.bytes);
              break;
            case 'close':
              if (ev.error) {
                counters.protocolErrors++;
                span.addEvent('protocol error', { [ATTR.errorType]: ev.error.code });
              }
              log.debug('closing connection', { remoteAddress, reason: ev.reason });
              conn.end();
              break;
            case 'call': {
              // One call at a time per connection: stop reading until it is answered (backpressure).
              socket.pause();
              const answer = await context.with(connCtx, () => answerCall(ev, remoteAddress, localPort));
              if (socket.destroyed) return;
              if (answer === undefined) {
                conn.end();
                return;
              }
              if (!socket.write(rpc.respond(ev.callId, answer))) await waitDrain(socket);
              if (!closing) socket.resume();
              break;
            }
            default: {
              const never: never = ev;
              throw new Error(`unhandled event ${JSON.stringify(never)}`);
            }
          }
        }
      } catch (err) {
        // A bug must cost this connection, never the process.
        log.error('connection handler failed', { remoteAddress, error: err as Error });
        socket.destroy();
      } finally {
        conn.busy = false;
        if (draining && !closing && !socket.destroyed) conn.end();
      }
    };
  }

  type Answer = { kind: 'ok'; payload: Uint8Array } | { kind: 'error'; hresult: number };

  /** Returns the answer for one RequestActivation call, or undefined to close without answering. */
  async function answerCall(
    call: Extract<RpcServerEvent, { kind: 'call' }>,
    remoteAddress: string,
    localPort: number,
  ): Promise<Answer | undefined> {
    counters.requests++;
    return tracer.startActiveSpan(
      SPAN.activation,
      { kind: SpanKind.INTERNAL, attributes: { [ATTR.rpcCallId]: call.callId, [ATTR.rpcTransferSyntax]: call.syntax, [ATTR.serverPort]: localPort } },
      async (span: Span) => {
        try {
          return await decideAndEncode(call, remoteAddress, span);
        } finally {
          span.end();
        }
      },
    );
  }

  async function decideAndEncode(
    call: Extract<RpcServerEvent, { kind: 'call' }>,
    remoteAddress: string,
    span: Span,
  ): Promise<Answer | undefined> {
    let version: { major: number; minor: number };
    let decoded: ReturnType<typeof decodeKmsRequest> | undefined;
    try {
      version = peekKmsVersion(call.payload);
      span.setAttribute(ATTR.kmsVersion, `${version.major}.${version.minor}`);
      if (version.major >= 4 && version.major <= 6) decoded = decodeKmsRequest(call.payload);
    } catch (err) {
      // Unreadable body of a known version (bad MAC, padding, length): answer like a Microsoft
      // host does to invalid data; nothing from it can be trusted, so nothing is recorded.
      counters.invalid++;
      const reason = err instanceof KmsProtocolError ? err.message : String(err);
      span.setAttribute(ATTR.hresult, hex32(HRESULT_INVALID_DATA));
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      log.info('invalid KMS request', { remoteAddress, reason });
      return { kind: 'error', hresult: HRESULT_INVALID_DATA };
    }
    const request = toDecideRequest({
      requestId: randomUUID(),
      receivedAt: new Date(),
      clientAddress: remoteAddress,
      ingressId: options.ingressId,
      rpcSyntax: call.syntax,
      version,
      request: decoded?.request,
    });
    if (decoded) {
      span.setAttribute(ATTR.cmid, decoded.request.cmid);
      span.setAttribute(ATTR.applicationId, decoded.request.applicationId);
      span.setAttribute(ATTR.kmsCountedId, decoded.request.kmsCountedId);
    }
    let reply: PolicyDecideReply;
    try {
      reply = await options.decide(request);
    } catch (err) {
      // Policy or ledger unreachable: close without answering. The client retries (every
      // 2 hours in grace), which is better than any answer we cannot stand behind.
      counters.unavailable++;
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'policy unavailable' });
      log.warn('policy unavailable, closing connection', { remoteAddress, error: err as Error });
      return undefined;
    }
    if (reply.kind === 'refuse') {
      counters.refused++;
      span.setAttribute(ATTR.hresult, hex32(reply.hresult));
      return { kind: 'error', hresult: reply.hresult };
    }
    if (!decoded) throw new Error('policy activated a request whose body was not decoded');
    counters.activated++;
    span.setAttribute(ATTR.currentCount, reply.count);
    const response = toKmsResponse(decoded.request, reply, fromHex(reply.hwid));
    return { kind: 'ok', payload: encodeKmsResponse(response, decoded.context, {}) };
  }

  async function listenOne(addr: ListenAddress, ipv6Only: boolean): Promise<ListenAddress> {
    // noDelay: the server sets TCP_NODELAY on every accepted socket itself.
    const server = createServer({ noDelay: true, pauseOnConnect: false });
    server.maxConnections = options.maxConnections ?? 20_000;
    server.on('drop', () => {
      counters.connectionsDropped++;
    });
    server.on('error', (err) => log.error('listener error', { address: formatHostPort(addr), error: err }));
    const real = await new Promise<ListenAddress>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: addr.host, port: addr.port, ipv6Only, backlog: 4096 }, () => {
        server.off('error', reject);
        const a = server.address();
        const bound = typeof a === 'object' && a ? { host: a.address, port: a.port } : addr;
        // Registered before any connection can be accepted; port 0 is only known now.
        const secondaryAddress = String(bound.port);
        server.on('connection', (socket: Socket) => onConnection(socket, bound.port, secondaryAddress));
        resolve(bound);
      });
    });
    servers.push(server);
    return real;
  }

  return {
    get addresses() {
      return bound;
    },
    async listen() {
      const hasV4Wildcard = options.listen.some((a) => a.host === '0.0.0.0');
      for (const addr of options.listen) {
        const real = await listenOne(addr, addr.host === '::' && hasV4Wildcard);
        bound.push(real);
        log.info('KMS listener up', { address: formatHostPort(real) });
      }
      return [...bound];
    },
    async close(graceMs = 10_000) {
      draining = true;
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      for (const c of connections) if (!c.busy) c.end();
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) await sleep(20);
      for (const c of connections) c.socket.destroy();
      await closed;
    },
    stats: () => ({ ...counters }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitDrain = (s: Socket) => new Promise<void>((r) => s.once('drain', () => r()).once('close', () => r()));
const hex32 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) is reported as `127.0.0.1`; plain IPv4 skips the regex. */
const normalizeAddress = (a: string | undefined) =>
  a === undefined ? 'unknown' : a.startsWith('::ffff:') ? a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') : a;

/**
 * Unique-enough assoc_group_ids: consecutive from a random seed, never 0 (a client's
 * bind asks for a new group with 0). Only this connection's client ever sees its id.
 */
function assocGroupIdSequence(seed: number): () => number {
  let next = seed >>> 0;
  return () => {
    next = (next + 1) >>> 0;
    if (next === 0) next = 1;
    return next;
  };
}
