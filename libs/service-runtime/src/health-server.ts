import { createServer, type Server } from 'node:http';
import { formatHostPort, type ListenAddress, type Logger } from '@kmsgrid/config';

export interface HealthCheck {
  readonly name: string;
  /** Resolves when healthy; rejects (or exceeds the timeout) when not. */
  check(): Promise<void>;
}

export interface HealthServerOptions {
  readonly listen: ListenAddress;
  /** Readiness checks for `/readyz`; liveness (`/healthz`) only says the event loop answers. */
  readonly readiness: readonly HealthCheck[];
  /** Optional Prometheus text for `/metrics`. */
  readonly metrics?: () => string | Promise<string>;
  readonly log: Logger;
  readonly checkTimeoutMs?: number;
}

export interface HealthServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/**
 * The probe endpoints every split-mode service exposes (Kubernetes liveness and
 * readiness, Prometheus scrape), on node:http: no framework on the services
 * that do not serve the admin API.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  let draining = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      if (draining) return json(503, { status: 'draining' });
      void runChecks(options.readiness, timeoutMs).then((failed) =>
        failed.length === 0 ? json(200, { status: 'ready' }) : json(503, { status: 'not ready', failed }),
      );
      return;
    }
    if (path === '/metrics' && options.metrics) {
      void Promise.resolve()
        .then(options.metrics)
        .then(
          (text) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
            res.end(text);
          },
          (err: Error) => json(500, { error: err.message }),
        );
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const a = server.address();
  const address = typeof a === 'object' && a ? { host: a.address, port: a.port } : options.listen;
  options.log.info('health endpoints up', { address: formatHostPort(address) });
  return {
    address,
    close: () => {
      draining = true;
      return new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}

async function runChecks(checks: readonly HealthCheck[], timeoutMs: number): Promise<string[]> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
          }),
        ]);
        return undefined;
      } catch {
        return c.name;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return results.filter((n): n is string => n !== undefined);
}
