import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, context, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { PolicyDecideReply, PolicyDecideRequest } from '@kmsgrid/contracts';
import { formatHostPort, silentLogger, throttleRepeats, type ListenAddress, type Logger } from '@kmsgrid/config';
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
  /**
   * A connection with no bytes for this long is closed (Microsoft RPC clients give up after 30 s).
   * Checked by one timer for all connections, so a close comes up to min(1 s, a quarter of the limit) late.
   */
  readonly idleTimeoutMs?: number;
  /** Hard limit on one connection's life, so a client dripping bytes cannot hold a slot forever (same timer). */
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

/**
 * One accepted connection's state. The socket's handlers are shared functions
 * (`this` is the socket, which carries its Connection), not closures made per
 * connection: an activation is a whole connection, so per-connection setup is
 * per-activation cost.
 */
interface Connection {
  readonly socket: Socket;
  readonly rpc: RpcServerConnection;
  readonly span: Span;
  readonly remoteAddress: string;
  readonly localPort: number;
  /** performance.now() at accept, for the maximum age. */
  readonly openedAt: number;
  /** performance.now() of the last byte read or written, for the idle timeout. */
  lastActiveAt: number;
  /** A call is being answered; events received meanwhile wait in `pending`. */
  busy: boolean;
  /** Reading was paused because bytes came while busy. */
  paused: boolean;
  /** Our side was ended; later input is ignored. */
  closing: boolean;
  pending: RpcServerEvent[] | undefined;
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
  /** Lines that would repeat per connection while the policy is down. */
  const repeats = throttleRepeats(log);
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
  /** Idle and age limits are enforced this often (at most 1 s late; finer for short test limits). */
  const sweepEveryMs = Math.max(10, Math.min(1000, Math.floor(Math.min(idleTimeoutMs, maxAgeMs) / 4)));
  let sweepTimer: NodeJS.Timeout | undefined;

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
    const rpc = new RpcServerConnection({
      ndr64: options.ndr64 ?? true,
      btfn: options.btfn ?? true,
      secondaryAddress,
      assocGroupId: assocGroupIds(),
      maxPduSize,
    });
    const now = performance.now();
    const conn: Connection = {
      socket,
      rpc,
      span,
      remoteAddress,
      localPort,
      openedAt: now,
      lastActiveAt: now,
      busy: false,
      paused: false,
      closing: false,
      pending: undefined,
    };
    (socket as Socket & { [CONNECTION]: Connection })[CONNECTION] = conn;
    connections.add(conn);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
    socket.on('data', onSocketData);
  }

  function onSocketError(this: Socket, err: Error): void {
    log.debug('connection error', { remoteAddress: connectionOf(this).remoteAddress, error: err.message });
  }

  function onSocketClose(this: Socket): void {
    const conn = connectionOf(this);
    connections.delete(conn);
    counters.connectionsActive--;
    conn.span.end();
  }

  /**
   * The client finished sending (Windows closes after its answer). With nothing being
   * answered and nothing unsent, closing the socket sends the same FIN a shutdown would,
   * one system call and stream round less. Otherwise our side ends at once, as a server
   * that does not allow half-open connections does (an answer still being computed is lost).
   */
  function onSocketEnd(this: Socket): void {
    const conn = connectionOf(this);
    if (!conn.busy && this.writableLength === 0) this.destroy();
    else this.end();
  }

  function onSocketData(this: Socket, chunk: Buffer): void {
    const conn = connectionOf(this);
    if (conn.closing) return;
    conn.lastActiveAt = performance.now();
    const events = conn.rpc.receive(chunk);
    if (conn.busy) {
      // One call at a time per connection: hold what came meanwhile and stop reading (backpressure).
      if (conn.pending === undefined) conn.pending = events;
      else conn.pending.push(...events);
      if (!conn.paused) {
        conn.paused = true;
        this.pause();
      }
      return;
    }
    run(conn, events);
  }

  /** Carries out events in order, synchronously until a call, which is answered asynchronously. */
  function run(conn: Connection, events: readonly RpcServerEvent[]): void {
    const socket = conn.socket;
    try {
      for (let i = 0; i < events.length && !conn.closing; i++) {
        const ev = events[i]!;
        switch (ev.kind) {
          case 'send':
            socket.write(ev.bytes);
            conn.lastActiveAt = performance.now();
            break;
          case 'close':
            if (ev.error) {
              counters.protocolErrors++;
              conn.span.addEvent('protocol error', { [ATTR.errorType]: ev.error.code });
            }
            log.debug('closing connection', { remoteAddress: conn.remoteAddress, reason: ev.reason });
            endConnection(conn);
            break;
          case 'call':
            if (i + 1 < events.length) conn.pending = events.slice(i + 1);
            conn.busy = true;
            void answer(conn, ev);
            return;
          default: {
            const never: never = ev;
            throw new Error(`unhandled event ${JSON.stringify(never)}`);
          }
        }
      }
    } catch (err) {
      failed(conn, err);
      return;
    }
    if (draining && !conn.closing && !socket.destroyed) endConnection(conn);
  }

  /** Answers one call, then goes on with what arrived meanwhile. */
  async function answer(conn: Connection, call: Extract<RpcServerEvent, { kind: 'call' }>): Promise<void> {
    const socket = conn.socket;
    try {
      const result = await context.with(trace.setSpan(context.active(), conn.span), () => answerCall(call, conn.remoteAddress, conn.localPort));
      if (socket.destroyed) return;
      if (result === undefined) {
        endConnection(conn);
        return;
      }
      const written = socket.write(conn.rpc.respond(call.callId, result));
      conn.lastActiveAt = performance.now();
      if (!written) await waitDrain(socket);
      if (conn.closing) return;
    } catch (err) {
      failed(conn, err);
      return;
    } finally {
      conn.busy = false;
    }
    const pending = conn.pending ?? NO_EVENTS;
    conn.pending = undefined;
    run(conn, pending);
    if (conn.paused && !conn.busy && !conn.closing) {
      conn.paused = false;
      socket.resume();
    }
  }

  /** Ends our side: nothing more is read or answered. */
  function endConnection(conn: Connection): void {
    conn.closing = true;
    conn.pending = undefined;
    conn.socket.end();
  }

  /** A bug must cost this connection, never the process. */
  function failed(conn: Connection, err: unknown): void {
    log.error('connection handler failed', { remoteAddress: conn.remoteAddress, error: err as Error });
    conn.socket.destroy();
  }

  /** Closes connections idle or older than allowed; one timer for all instead of two per connection. */
  function sweep(): void {
    const now = performance.now();
    for (const conn of connections) {
      if (now - conn.openedAt >= maxAgeMs) {
        log.debug('connection reached its maximum age', { remoteAddress: conn.remoteAddress });
        conn.socket.destroy();
      } else if (now - conn.lastActiveAt >= idleTimeoutMs) {
        conn.socket.destroy();
      }
    }
  }

  type Answer = { kind: 'ok'; payload: Uint8Array } | { kind: 'error'; hresult: number };

  /** Returns the answer for one RequestActivation call, or undefined to close without answering. */
  function answerCall(
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
      repeats.warn('policy unavailable, closing connection', { remoteAddress, error: err as Error });
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
    const response = toKmsResponse(decoded.request, reply, hwidBytes(reply.hwid));
    return { kind: 'ok', payload: encodeKmsResponse(response, decoded.context, {}) };
  }

  async function listenOne(addr: ListenAddress, ipv6Only: boolean): Promise<ListenAddress> {
    // noDelay: the server sets TCP_NODELAY on every accepted socket itself.
    // allowHalfOpen: onSocketEnd decides what a client's FIN does.
    const server = createServer({ noDelay: true, pauseOnConnect: false, allowHalfOpen: true });
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
      if (sweepTimer === undefined) {
        sweepTimer = setInterval(sweep, sweepEveryMs);
        sweepTimer.unref();
      }
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
      for (const c of connections) if (!c.busy) endConnection(c);
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) await sleep(20);
      for (const c of connections) c.socket.destroy();
      await closed;
      clearInterval(sweepTimer);
    },
    stats: () => ({ ...counters }),
  };
}

/** The socket's property holding its {@link Connection} (read by the shared socket handlers). */
const CONNECTION = Symbol('kmsgrid.ingress.connection');
const connectionOf = (socket: Socket) => (socket as Socket & { [CONNECTION]: Connection })[CONNECTION];
const NO_EVENTS: readonly RpcServerEvent[] = [];

let lastHwid: { text: string; bytes: Uint8Array } | undefined;
/** The HWID as bytes; a host answers with one HWID, so the last one is kept (the encoder only reads it). */
function hwidBytes(text: string): Uint8Array {
  if (lastHwid?.text !== text) lastHwid = { text, bytes: fromHex(text) };
  return lastHwid.bytes;
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
