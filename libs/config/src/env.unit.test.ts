import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader, formatHostPort, parseHostPort } from './index.js';

describe('parseHostPort', () => {
  it.each([
    ['0.0.0.0:1688', { host: '0.0.0.0', port: 1688 }],
    ['[::1]:1688', { host: '::1', port: 1688 }],
    [':1688', { host: '0.0.0.0', port: 1688 }],
    ['1688', { host: '0.0.0.0', port: 1688 }],
    ['kms.example.test:1688', { host: 'kms.example.test', port: 1688 }],
  ])('%s', (text, want) => expect(parseHostPort(text)).toEqual(want));

  it.each(['', 'host', 'host:99999', '::1:1688', 'h:p'])('refuses %j', (text) => expect(parseHostPort(text)).toBeUndefined());

  it('formats IPv6 with brackets', () => expect(formatHostPort({ host: '::', port: 1688 })).toBe('[::]:1688'));
});

describe('EnvReader', () => {
  it('collects every problem as one line each', () => {
    const r = new EnvReader({ A: 'x', B: '14', C: 'nope' });
    r.integer('A', 1, 0, 5);
    r.integer('B', 120, 15, 43200, 'minutes');
    r.listen('C', '0.0.0.0:1688');
    r.required('D', 'set it to postgres://...');
    let err: unknown;
    try {
      r.done({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).problems;
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('B=14 is invalid: use a whole number from 15 to 43200 (minutes), default 120');
    expect(lines[3]).toBe('D is not set: set it to postgres://...');
  });

  it('returns defaults when unset', () => {
    const r = new EnvReader({});
    expect(r.integer('X', 120, 15, 43200)).toBe(120);
    expect(r.listen('L', '127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(r.done(1)).toBe(1);
  });

  it('reads address lists and on/off switches', () => {
    const r = new EnvReader({ L: '0.0.0.0:1688,[::]:1688', B: 'off', C: 'maybe' });
    expect(r.listenList('L', '0.0.0.0:1688')).toEqual([{ host: '0.0.0.0', port: 1688 }, { host: '::', port: 1688 }]);
    expect(r.onOff('B', true)).toBe(false);
    expect(r.onOff('C', true)).toBe(true);
    expect(() => r.done(0)).toThrow('C=maybe is invalid: use on or off (default on)');
  });
});
