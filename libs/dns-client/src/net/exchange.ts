import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, isIPv6 } from 'node:net';
import { formatDnsServer } from './server.js';

/** A DNS server address. */
export type DnsServer = Readonly<{ host: string; port: number }>;

/** `udp`: UDP, retried, then TCP when the answer is truncated (TC). `tcp`: TCP only. */
export type DnsTransport = 'udp' | 'tcp';

/** Options of {@link exchange}. */
export type ExchangeOptions = Readonly<{
  /** Default `udp` (RFC 2136 §6 allows either; BIND accepts both). */
  transport?: DnsTransport;
  /** Time to wait for each try, default 2000 ms. */
  timeoutMs?: number;
  /** UDP sends before giving up, default 3 (the same bytes each time; UPDATE is idempotent for us). */
  udpTries?: number;
}>;

export type DnsExchangeErrorKind = 'timeout' | 'network';

/** No answer: `timeout` (nothing came back) or `network` (refused, unreachable, closed). */
export class DnsExchangeError extends Error {
  override readonly name = 'DnsExchangeError';
  constructor(
    readonly kind: DnsExchangeErrorKind,
    message: string,
    readonly transport: DnsTransport,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The answer to one exchange and how it came. */
export type ExchangeResult = Readonly<{ response: Buffer; transport: DnsTransport }>;

const isAnswerTo = (query: Buffer, m: Buffer) => m.length >= 12 && m.readUInt16BE(0) === query.readUInt16BE(0) && (m[2]! & 0x80) !== 0;

/**
 * Sends one DNS message and returns the first answer with the same id.
 * Over UDP a truncated answer is fetched again over TCP (RFC 7766 §5).
 * Rejects only with {@link DnsExchangeError}.
 *
 * @example const { response } = await exchange({ host: '127.0.0.1', port: 53 }, query, { timeoutMs: 1000 });
 */
export async function exchange(server: DnsServer, message: Buffer, opts: ExchangeOptions = {}): Promise<ExchangeResult> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  if (opts.transport === 'tcp') return { response: await exchangeTcp(server, message, timeoutMs), transport: 'tcp' };
  const answer = await exchangeUdp(server, message, timeoutMs, Math.max(1, opts.udpTries ?? 3));
  if ((answer[2]! & 0x02) !== 0) return { response: await exchangeTcp(server, message, timeoutMs), transport: 'tcp' };
  return { response: answer, transport: 'udp' };
}

async function resolveHost(server: DnsServer, transport: DnsTransport): Promise<string> {
  if (isIP(server.host) !== 0) return server.host;
  try {
    return (await lookup(server.host)).address;
  } catch (e) {
    throw new DnsExchangeError('network', `cannot resolve the DNS server name ${server.host}: ${(e as Error).message}`, transport, { cause: e });
  }
}

async function exchangeUdp(server: DnsServer, message: Buffer, timeoutMs: number, tries: number): Promise<Buffer> {
  const address = await resolveHost(server, 'udp');
  return new Promise<Buffer>((resolve, reject) => {
    const socket = dgram.createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err: Error | undefined, answer?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.on('error', () => {});
      try {
        socket.close();
      } catch {
        /* already closed */
      }
      if (err) reject(err);
      else resolve(answer!);
    };
    const send = () => {
      if (done) return;
      if (sent === tries) {
        finish(new DnsExchangeError('timeout', `no answer from ${formatDnsServer(server)} over UDP after ${tries} tries of ${timeoutMs} ms`, 'udp'));
        return;
      }
      sent++;
      socket.send(message, (e) => {
        if (e) finish(new DnsExchangeError('network', `sending to ${formatDnsServer(server)} over UDP failed: ${e.message}`, 'udp', { cause: e }));
      });
      timer = setTimeout(send, timeoutMs);
    };
    // An ICMP port unreachable surfaces here as ECONNREFUSED on the connected socket.
    socket.on('error', (e) => finish(new DnsExchangeError('network', `${formatDnsServer(server)} over UDP: ${e.message}`, 'udp', { cause: e })));
    socket.on('message', (m) => {
      if (isAnswerTo(message, m)) finish(undefined, m);
    });
    socket.connect(server.port, address, send);
  });
}

async function exchangeTcp(server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const address = await resolveHost(server, 'tcp');
  return new Promise<Buffer>((resolve, reject) => {
    const socket = tcpConnect({ host: address, port: server.port });
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, answer?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => finish(new DnsExchangeError('timeout', `no answer from ${formatDnsServer(server)} over TCP within ${timeoutMs} ms`, 'tcp')), timeoutMs);
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([len, message]));
    });
    // RFC 1035 §4.2.2: each message is preceded by its 2-byte length; skip answers to other ids.
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        const m = got.subarray(2, 2 + got.readUInt16BE(0));
        got = got.subarray(2 + m.length);
        if (isAnswerTo(message, m)) return finish(undefined, Buffer.from(m));
      }
    });
    socket.on('error', (e) => finish(new DnsExchangeError('network', `${formatDnsServer(server)} over TCP: ${e.message}`, 'tcp', { cause: e })));
    socket.on('close', () => finish(new DnsExchangeError('network', `${formatDnsServer(server)} closed the TCP connection before answering`, 'tcp')));
  });
}
