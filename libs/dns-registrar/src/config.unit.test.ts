import { ConfigError } from '@kmsgrid/config';
import { describe, expect, it } from 'vitest';
import { readDnsRegistrarConfig } from './config.js';

const secret = Buffer.alloc(32, 0xab).toString('base64');
const good = {
  KMSGRID_DNS_DOMAINS: 'Example.com,10,60; lab.example.com',
  KMSGRID_DNS_SERVER: '192.0.2.53:5353',
  KMSGRID_DNS_TSIG: `hmac-sha256:kmsgrid-key:${secret}`,
  KMSGRID_DNS_TARGET: 'KMS1.example.com.',
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    readDnsRegistrarConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('readDnsRegistrarConfig', () => {
  it('is off without KMSGRID_DNS_DOMAINS (like slmgr /cdns)', () => {
    expect(readDnsRegistrarConfig({})).toBeUndefined();
    expect(readDnsRegistrarConfig({ KMSGRID_DNS_DOMAINS: ' ; ', KMSGRID_DNS_SERVER: 'x' })).toBeUndefined();
  });

  it('reads domains with optional priority and weight, and the defaults', () => {
    const c = readDnsRegistrarConfig(good)!;
    expect(c.domains).toEqual([
      { domain: 'example.com', priority: 10, weight: 60 },
      { domain: 'lab.example.com', priority: 0, weight: 0 },
    ]);
    expect(c).toMatchObject({ server: { host: '192.0.2.53', port: 5353 }, target: 'kms1.example.com', port: 1688, ttl: 3600, refreshMs: 86_400_000, addresses: [] });
    expect(c.key).toEqual({ name: 'kmsgrid-key', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 0xab) });
  });

  it('takes the port from KMSGRID_LISTEN unless KMSGRID_DNS_PORT is set', () => {
    expect(readDnsRegistrarConfig({ ...good, KMSGRID_LISTEN: '0.0.0.0:11688,[::]:11688' })!.port).toBe(11688);
    expect(readDnsRegistrarConfig({ ...good, KMSGRID_LISTEN: ':11688', KMSGRID_DNS_PORT: '1688' })!.port).toBe(1688);
  });

  it('reads TTL, refresh (seconds), addresses and bare or bracketed servers', () => {
    const c = readDnsRegistrarConfig({ ...good, KMSGRID_DNS_TTL: '600', KMSGRID_DNS_REFRESH: '3600', KMSGRID_DNS_ADDRESSES: '2001:db8::1, 192.0.2.10', KMSGRID_DNS_SERVER: '[2001:db8::53]:53' })!;
    expect(c).toMatchObject({ ttl: 600, refreshMs: 3_600_000, addresses: ['192.0.2.10', '2001:db8::1'], server: { host: '2001:db8::53', port: 53 } });
    expect(readDnsRegistrarConfig({ ...good, KMSGRID_DNS_SERVER: 'ns1.example.com' })!.server).toEqual({ host: 'ns1.example.com', port: 53 });
  });

  it('says what is wrong and how to fix it, one line per problem', () => {
    const lines = problems({
      KMSGRID_DNS_DOMAINS: 'ok.test;bad..test;x.test,1,2,3;x.test,70000;ok.test',
      KMSGRID_DNS_TSIG: `hmac-md5:kmsgrid-key:${secret}`,
      KMSGRID_DNS_TARGET: 'kms1',
      KMSGRID_DNS_TTL: '-5',
      KMSGRID_DNS_REFRESH: '10',
    });
    expect(lines).toEqual([
      'KMSGRID_DNS_DOMAINS entry "bad..test" is invalid: it has an empty label (two dots in a row); use domain[,priority,weight] entries separated by ";", e.g. example.com,0,100;lab.example.com',
      'KMSGRID_DNS_DOMAINS entry "x.test,1,2,3" is invalid: priority and weight are optional whole numbers from 0 to 65535 (default 0), as in example.com,10,50',
      'KMSGRID_DNS_DOMAINS entry "x.test,70000" is invalid: priority and weight are optional whole numbers from 0 to 65535 (default 0), as in example.com,10,50',
      'KMSGRID_DNS_DOMAINS lists ok.test twice: keep one entry per domain',
      'KMSGRID_DNS_SERVER is not set: set it to the host:port of the DNS server that accepts dynamic updates for the domains, e.g. 192.0.2.53:53',
      'KMSGRID_DNS_TSIG algorithm "hmac-md5" is not supported: use one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512 (as in the server\'s key statement)',
      'KMSGRID_DNS_TARGET=kms1 is not fully qualified: use the full name clients connect to, e.g. kms1.example.com',
      'KMSGRID_DNS_TTL=-5 is invalid: use a whole number from 0 to 2147483647 (seconds), default 3600',
      'KMSGRID_DNS_REFRESH=10 is invalid: use a whole number from 60 to 2147483 (seconds), default 86400',
    ]);
  });

  it('never echoes the TSIG secret', () => {
    const lines = problems({ ...good, KMSGRID_DNS_TSIG: 'hmac-sha256:kmsgrid-key:not*base64-SECRETVALUE' });
    expect(lines).toEqual(['KMSGRID_DNS_TSIG secret is not valid base64: copy the secret "..." of the server\'s key statement (tsig-keygen prints it)']);
    expect(problems({ ...good, KMSGRID_DNS_TSIG: 'SECRETVALUE' })[0]).toMatch(/^KMSGRID_DNS_TSIG is invalid: it needs three parts/);
    expect(problems({ ...good, KMSGRID_DNS_TSIG: 'SECRETVALUE' })[0]).not.toContain('SECRETVALUE');
  });

  it('wants the target inside a configured domain when addresses are given', () => {
    expect(problems({ ...good, KMSGRID_DNS_TARGET: 'kms.other.org', KMSGRID_DNS_ADDRESSES: '192.0.2.1' })).toEqual([
      'KMSGRID_DNS_ADDRESSES needs KMSGRID_DNS_TARGET (kms.other.org) inside one of KMSGRID_DNS_DOMAINS (its A/AAAA are updated in that zone); remove KMSGRID_DNS_ADDRESSES or add the target\'s domain',
    ]);
    expect(problems({ ...good, KMSGRID_DNS_ADDRESSES: 'nope' })[0]).toMatch(/^KMSGRID_DNS_ADDRESSES entry "nope" is not an IPv4 or IPv6 address/);
  });
});
