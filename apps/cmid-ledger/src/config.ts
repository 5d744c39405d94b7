import { hostname } from 'node:os';
import { EnvReader, type Env, type ListenAddress } from '@kmsgrid/config';

export interface LedgerAppConfig {
  readonly httpListen: ListenAddress;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly schema: string;
  readonly instanceId: string;
  readonly batchMaxSize: number;
}

export function readConfig(env: Env): LedgerAppConfig {
  const r = new EnvReader(env);
  return r.done({
    httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:']) ?? r.required('NATS_URL', 'the ledger serves the policy over NATS: set NATS_URL=nats://host:4222'),
    databaseUrl:
      r.url('DATABASE_URL', ['postgres:', 'postgresql:']) ??
      r.required('DATABASE_URL', 'the ledger records every request in Postgres: set DATABASE_URL=postgres://user@host:5432/db'),
    schema: r.string('KMSGRID_DB_SCHEMA', 'kmsgrid'),
    instanceId: r.string('KMSGRID_INSTANCE_ID', `${hostname()}-${process.pid}`),
    batchMaxSize: r.integer('KMSGRID_LEDGER_BATCH', 500, 1, 10_000, 'requests per commit'),
  });
}
