import { describe, expect, it } from 'vitest';
import { DnsLookupError, describeDnsLookupError } from './resolver.js';
import { formatDnsServer, parseDnsServer, readResolvConf } from './server.js';

describe('parseDnsServer', () => {
  it('reads host:port, [v6]:port, bare hosts and bare IPv6 (port 53)', () => {
    expect(parseDnsServer('127.0.0.1:5353')).toEqual({ ok: true, server: { host: '127.0.0.1', port: 5353 } });
    expect(parseDnsServer('ns1.example.test')).toEqual({ ok: true, server: { host: 'ns1.example.test', port: 53 } });
    expect(parseDnsServer('[::1]:5300')).toEqual({ ok: true, server: { host: '::1', port: 5300 } });
    expect(parseDnsServer('[2001:db8::53]')).toEqual({ ok: true, server: { host: '2001:db8::53', port: 53 } });
    expect(parseDnsServer('2001:db8::53')).toEqual({ ok: true, server: { host: '2001:db8::53', port: 53 } });
  });

  it('says what is wrong', () => {
    expect(parseDnsServer('')).toEqual({ ok: false, message: 'empty DNS server' });
    expect(parseDnsServer('127.0.0.1:0')).toEqual({ ok: false, message: 'bad port "0" (1..65535)' });
    expect(parseDnsServer('127.0.0.1:65536')).toEqual({ ok: false, message: 'bad port "65536" (1..65535)' });
    expect(parseDnsServer('127.0.0.1:x')).toEqual({ ok: false, message: 'bad port "x" (1..65535)' });
    expect(parseDnsServer(':53')).toEqual({ ok: false, message: 'no host in ":53"' });
    expect(parseDnsServer('[::1')).toEqual({ ok: false, message: 'missing \']\' in "[::1"' });
    expect(parseDnsServer('[host]:53')).toEqual({ ok: false, message: '"host" in brackets is not an IPv6 address' });
    expect(parseDnsServer('a:b:c')).toEqual({ ok: false, message: '"a:b:c" is neither host:port nor an IPv6 address' });
  });

  it('formats back with brackets around IPv6', () => {
    expect(formatDnsServer({ host: '::1', port: 53 })).toBe('[::1]:53');
    expect(formatDnsServer({ host: '192.0.2.53', port: 5353 })).toBe('192.0.2.53:5353');
  });
});

describe('readResolvConf', () => {
  it('takes the first nameserver, skipping comments and other keywords', () => {
    const text = '# generated\nsearch example.test\n; nameserver 192.0.2.1\nnameserver   192.0.2.53  # primary\nnameserver 192.0.2.54\n';
    expect(readResolvConf(text)).toEqual({ host: '192.0.2.53', port: 53 });
    expect(readResolvConf('nameserver fe80::1%eth0\n')).toEqual({ host: 'fe80::1%eth0', port: 53 });
  });

  it('is undefined without a usable nameserver', () => {
    expect(readResolvConf('')).toBeUndefined();
    expect(readResolvConf('nameserver\nnameserver not-an-address\noptions ndots:2\n')).toBeUndefined();
  });
});

describe('describeDnsLookupError', () => {
  it('names the query, a short reason and the HRESULT', () => {
    const nx = new DnsLookupError('name-not-found', 'long', { qname: '_vlmcs._tcp.example.test' });
    expect(describeDnsLookupError(nx)).toBe('_vlmcs._tcp.example.test: name does not exist (0x8007232B)');
    const none = new DnsLookupError('no-records', 'long', { qname: '_vlmcs._tcp.example.test' });
    expect(describeDnsLookupError(none)).toBe('_vlmcs._tcp.example.test: no records found (0x8007251D)');
    const slow = new DnsLookupError('timeout', 'long', { qname: '_vlmcs._tcp.example.test', server: { host: '192.0.2.53', port: 53 } });
    expect(describeDnsLookupError(slow)).toBe('_vlmcs._tcp.example.test: no answer from the DNS server 192.0.2.53:53 (0x800705B4)');
    expect(describeDnsLookupError(new DnsLookupError('refused', 'long'))).toBe('the DNS server refused the query (0x8007232D)');
  });
});
