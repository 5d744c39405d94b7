import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kmsgrid/config';
import { readConfig } from './config.js';

describe('kms-ingress configuration', () => {
  it('has the documented defaults', () => {
    const c = readConfig({ NATS_URL: 'nats://127.0.0.1:4222' });
    expect(c.ingress.listen).toEqual([{ host: '0.0.0.0', port: 1688 }]);
    expect(c.httpListen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.ingress.idleTimeoutMs).toBe(30_000);
    expect(c.ingress.ndr64 && c.ingress.btfn).toBe(true);
  });

  it('reports every bad variable, one line each', () => {
    let err: ConfigError | undefined;
    try {
      readConfig({ KMSGRID_LISTEN: '0.0.0.0:1688,nonsense', KMSGRID_NDR64: 'perhaps' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.problems).toEqual([
      'KMSGRID_LISTEN=0.0.0.0:1688,nonsense is invalid: use host:port, [ipv6]:port or :port, several separated by commas (default 0.0.0.0:1688)',
      'KMSGRID_NDR64=perhaps is invalid: use on or off (default on)',
      'NATS_URL is not set: the ingress reaches the policy over NATS: set NATS_URL=nats://host:4222',
    ]);
  });
});
