import { hostname } from 'node:os';
import { EnvReader, type Env, type ListenAddress } from '@kmsgrid/config';

/** Process settings; the policy's own settings are read by policy-domain's parsePolicyConfig. */
export interface PolicyAppConfig {
  readonly httpListen: ListenAddress;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly schema: string;
  readonly instanceId: string;
  readonly ledgerTimeoutMs: number;
}

export function readConfig(env: Env): PolicyAppConfig {
  const r = new EnvReader(env);
  return r.done({
    httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:']) ?? r.required('NATS_URL', 'the policy serves the ingress over NATS: set NATS_URL=nats://host:4222'),
    databaseUrl:
      r.url('DATABASE_URL', ['postgres:', 'postgresql:']) ??
      r.required('DATABASE_URL', 'host-key identities live in the event store: set DATABASE_URL=postgres://user@host:5432/db'),
    schema: r.string('KMSGRID_DB_SCHEMA', 'kmsgrid'),
    instanceId: r.string('KMSGRID_INSTANCE_ID', `${hostname()}-${process.pid}`),
    ledgerTimeoutMs: r.integer('KMSGRID_LEDGER_TIMEOUT', 4000, 100, 60_000, 'milliseconds'),
  });
}
