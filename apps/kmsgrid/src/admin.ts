import { readFileSync } from 'node:fs';
import { formatHostPort, type ListenAddress, type Logger } from '@kmsgrid/config';
import { buildApp, createAdminSources, type AdminDeps, type ReadinessCheck } from '@kmsgrid/admin-api';
import { dnsStatusView, type DnsRegistrar } from '@kmsgrid/dns-registrar';
import type { IngressServer } from '@kmsgrid/ingress-server';
import type { Transport } from '@kmsgrid/transport';

export interface AdminWiring {
  readonly transport: Transport;
  readonly kmsAddresses: readonly ListenAddress[];
  readonly ingress?: IngressServer;
  readonly dns?: DnsRegistrar;
  /** More Prometheus families (the outbox relay's). */
  readonly extraMetrics?: () => string;
  readonly readiness: readonly ReadinessCheck[];
  readonly mode: 'all-in-one' | 'split';
  readonly log: Logger;
}

/** The admin API (status, clients, metrics, dashboard) over the services' query subjects. */
export function adminDeps(w: AdminWiring): AdminDeps {
  return {
    ...createAdminSources(w.transport),
    host: { listen: w.kmsAddresses.map(formatHostPort), version: kmsgridVersion(), mode: w.mode },
    ...(w.ingress && { ingressStats: () => w.ingress!.stats() }),
    ...(w.dns && { dnsStatus: async () => dnsStatusView(w.dns!.status()) }),
    ...(w.extraMetrics && { extraMetrics: w.extraMetrics }),
    readiness: w.readiness,
    log: w.log,
  };
}

export async function startAdminApi(w: AdminWiring, listen: ListenAddress): Promise<{ address: ListenAddress; close(): Promise<void> }> {
  const app = buildApp(adminDeps(w));
  await app.listen({ host: listen.host, port: listen.port });
  const a = app.server.address();
  const address = typeof a === 'object' && a ? { host: a.address, port: a.port } : listen;
  w.log.info('admin API up', { address: formatHostPort(address) });
  return { address, close: () => app.close() };
}

let version: string | undefined;
function kmsgridVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
