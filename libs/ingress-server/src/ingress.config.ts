import type { EnvReader, ListenAddress } from '@kmsgrid/config';

/** The ingress settings read from the environment, shared by apps/kms-ingress and the all-in-one. */
export interface IngressSettings {
  readonly listen: readonly ListenAddress[];
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxPduSize: number;
  readonly ndr64: boolean;
  readonly btfn: boolean;
}

export function readIngressSettings(r: EnvReader): IngressSettings {
  return {
    listen: r.listenList('KMSGRID_LISTEN', '0.0.0.0:1688'),
    maxConnections: r.integer('KMSGRID_MAX_CONNECTIONS', 20_000, 1, 1_000_000),
    idleTimeoutMs: r.integer('KMSGRID_IDLE_TIMEOUT', 30, 1, 3600, 'seconds') * 1000,
    maxConnectionAgeMs: r.integer('KMSGRID_MAX_CONNECTION_AGE', 120, 1, 86_400, 'seconds') * 1000,
    maxPduSize: r.integer('KMSGRID_MAX_PDU_SIZE', 8192, 1024, 65_535, 'bytes'),
    ndr64: r.onOff('KMSGRID_NDR64', true),
    btfn: r.onOff('KMSGRID_BTFN', true),
  };
}
