import { hostname } from 'node:os';
import { EnvReader, type Env, type ListenAddress } from '@kmsgrid/config';
import { readIngressSettings, type IngressSettings } from '@kmsgrid/ingress-server';

export interface IngressAppConfig {
  readonly ingress: IngressSettings;
  readonly httpListen: ListenAddress;
  readonly natsUrl: string;
  readonly instanceId: string;
  readonly policyTimeoutMs: number;
}

export function readConfig(env: Env): IngressAppConfig {
  const r = new EnvReader(env);
  return r.done({
    ingress: readIngressSettings(r),
    httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:']) ?? r.required('NATS_URL', 'the ingress reaches the policy over NATS: set NATS_URL=nats://host:4222'),
    instanceId: r.string('KMSGRID_INSTANCE_ID', `${hostname()}-${process.pid}`),
    policyTimeoutMs: r.integer('KMSGRID_POLICY_TIMEOUT', 5000, 100, 60_000, 'milliseconds'),
  });
}
