import { EnvReader, type Env, type ListenAddress } from '@kmsgrid/config';

/** Process settings of the standalone admin API. */
export interface AdminApiConfig {
  readonly httpListen: ListenAddress;
  readonly natsUrl: string;
  /** Shown in the status view: where clients reach the KMS (the ingress Service address). */
  readonly kmsListen: readonly ListenAddress[];
  /**
   * Ask dns-registrar for `/v1/status`'s DNS section: on when
   * KMSGRID_DNS_DOMAINS is set, the same switch that turns publishing on
   * (unset, like `slmgr /cdns`, there is no registrar to ask).
   */
  readonly dns: boolean;
}

/** Reads the admin API's variables; throws one ConfigError listing every problem. */
export function readConfig(env: Env): AdminApiConfig {
  const r = new EnvReader(env);
  return r.done({
    httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:']) ?? r.required('NATS_URL', 'the admin API asks the services over NATS: set NATS_URL=nats://host:4222'),
    kmsListen: r.listenList('KMSGRID_LISTEN', '0.0.0.0:1688'),
    dns: (r.string('KMSGRID_DNS_DOMAINS') ?? '').trim() !== '',
  });
}
