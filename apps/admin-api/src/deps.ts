import { formatHostPort, type Logger } from '@kmsgrid/config';
import { createAdminSources, type AdminDeps, type ReadinessCheck } from '@kmsgrid/admin-api';
import type { Transport } from '@kmsgrid/transport';
import type { AdminApiConfig } from './config.js';

/** What {@link splitAdminDeps} needs besides the config. */
export interface SplitAdminWiring {
  readonly transport: Transport;
  readonly readiness: readonly ReadinessCheck[];
  readonly log: Logger;
  /** Per-query deadline of the services' answers (default: createAdminSources'). */
  readonly timeoutMs?: number;
}

/**
 * The split-mode admin API's dependencies: every section asked over the
 * services' query subjects, DNS included when configured.
 *
 * @example const app = buildApp(splitAdminDeps(readConfig(process.env), { transport, readiness, log }));
 */
export function splitAdminDeps(config: Pick<AdminApiConfig, 'kmsListen' | 'dns'>, w: SplitAdminWiring): AdminDeps {
  return {
    ...createAdminSources(w.transport, { dns: config.dns, ...(w.timeoutMs !== undefined && { timeoutMs: w.timeoutMs }) }),
    host: { listen: config.kmsListen.map(formatHostPort), version: process.env['npm_package_version'] ?? 'unknown', mode: 'split' },
    readiness: w.readiness,
    log: w.log,
  };
}
