import { ConfigError, EnvReader, type Env, type ListenAddress } from '@kmsgrid/config';
import { readDnsRegistrarConfig, type DnsRegistrarConfig } from '@kmsgrid/dns-registrar';

/** Process settings of the standalone dns-registrar. */
export interface DnsRegistrarAppConfig {
  readonly httpListen: ListenAddress;
  readonly databaseUrl: string;
  readonly schema: string;
  /** Set: answer `kmsgrid.dns.v1.status` there (the split admin API's DNS section). */
  readonly natsUrl: string | undefined;
  /** Undefined: publishing is off (KMSGRID_DNS_DOMAINS unset). */
  readonly dns: DnsRegistrarConfig | undefined;
}

/** Reads everything, reporting the problems of both parts together (one ConfigError). */
export function readConfig(env: Env): DnsRegistrarAppConfig {
  const problems: string[] = [];
  let dns: DnsRegistrarConfig | undefined;
  try {
    dns = readDnsRegistrarConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  const r = new EnvReader(env);
  const app = {
    httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
    databaseUrl:
      r.url('DATABASE_URL', ['postgres:', 'postgresql:']) ??
      r.required('DATABASE_URL', 'every DNS registration outcome is an event in the store: set DATABASE_URL=postgres://user@host:5432/db'),
    schema: r.string('KMSGRID_DB_SCHEMA', 'kmsgrid'),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:']),
    dns,
  };
  try {
    r.done(undefined);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return app;
}
