import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { EnvReader, type Env, type ListenAddress } from '@kmsgrid/config';
import { readIngressSettings, type IngressSettings } from '@kmsgrid/ingress-server';

/**
 * The all-in-one's own settings. The policy reads its variables itself
 * (KMSGRID_HOST_KEYS, KMSGRID_ACTIVATION_INTERVAL, ...: policy-domain), and
 * the DNS registrar its KMSGRID_DNS_* variables.
 */
export interface KmsgridConfig {
  readonly ingress: IngressSettings;
  readonly httpListen: ListenAddress;
  readonly dataDir: string;
  /** Unset: embedded Postgres (PGlite) in `<dataDir>/pg`. */
  readonly databaseUrl: string | undefined;
  /** Unset: in-process transport. */
  readonly natsUrl: string | undefined;
  readonly schema: string;
  readonly instanceId: string;
}

export function readConfig(env: Env): KmsgridConfig {
  const r = new EnvReader(env);
  return r.done({
    ingress: readIngressSettings(r),
    httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
    dataDir: resolve(r.string('KMSGRID_DATA_DIR', './data')),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:']),
    schema: r.string('KMSGRID_DB_SCHEMA', 'kmsgrid'),
    instanceId: r.string('KMSGRID_INSTANCE_ID', `${hostname()}-${process.pid}`),
  });
}
