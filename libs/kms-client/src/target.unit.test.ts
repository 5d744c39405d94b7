import { describe, expect, it } from 'vitest';
import { formatTarget, parseTarget } from './target.js';

describe('target', () => {
  it('round-trips host:port forms', () => {
    for (const t of ['127.0.0.1:1688', '[::1]:11688', 'kms.example.org:1']) {
      const p = parseTarget(t);
      expect(p.ok && formatTarget(p.target)).toBe(t);
    }
    expect(parseTarget('')).toEqual({ ok: false, message: 'empty target' });
    expect(parseTarget('[::1]x')).toEqual({ ok: false, message: 'unexpected "x" after \']\'' });
    expect(parseTarget(':1688')).toEqual({ ok: false, message: 'no host in ":1688"' });
  });

  it('reads bare hosts and bare IPv6 addresses on the default port', () => {
    expect(parseTarget('[::1]')).toEqual({ ok: true, target: { host: '::1', port: 1688 } });
    expect(parseTarget('::1')).toEqual({ ok: true, target: { host: '::1', port: 1688 } });
    expect(parseTarget('kms.example.org')).toEqual({ ok: true, target: { host: 'kms.example.org', port: 1688 } });
    expect(parseTarget('host:0')).toEqual({ ok: false, message: 'bad port "0" (1..65535)' });
  });
});
