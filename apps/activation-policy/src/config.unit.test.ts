import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kmsgrid/config';
import { readConfig } from './config.js';

describe('activation-policy configuration', () => {
  it('requires NATS_URL and DATABASE_URL, one line each', () => {
    let err: ConfigError | undefined;
    try {
      readConfig({ DATABASE_URL: 'mysql://x' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.problems).toEqual([
      'NATS_URL is not set: the policy serves the ingress over NATS: set NATS_URL=nats://host:4222',
      'DATABASE_URL=mysql://x is invalid: expected a URL starting with postgres:// or postgresql://',
    ]);
  });

  it('reads a complete configuration', () => {
    const c = readConfig({ NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(c.schema).toBe('kmsgrid');
    expect(c.ledgerTimeoutMs).toBe(4000);
  });
});
