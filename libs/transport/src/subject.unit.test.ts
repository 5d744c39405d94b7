import { describe, expect, it } from 'vitest';
import { InvalidMessageError } from './errors.js';
import { assertHeaders, assertPublishSubject, parseSubscriptionSubject, subjectMatches } from './subject.js';

const matches = (pattern: string, subject: string) => subjectMatches(parseSubscriptionSubject(pattern), subject);

describe('subjects', () => {
  it('matches literal, * and > like NATS', () => {
    expect(matches('kmsgrid.policy.v1.decide', 'kmsgrid.policy.v1.decide')).toBe(true);
    expect(matches('kmsgrid.policy.v1.decide', 'kmsgrid.policy.v1')).toBe(false);
    expect(matches('kmsgrid.*.v1.decide', 'kmsgrid.policy.v1.decide')).toBe(true);
    expect(matches('kmsgrid.*', 'kmsgrid.policy.v1')).toBe(false);
    expect(matches('kmsgrid.events.>', 'kmsgrid.events.client.ClientCounted')).toBe(true);
    expect(matches('kmsgrid.events.>', 'kmsgrid.events')).toBe(false);
    expect(matches('>', 'a')).toBe(true);
  });

  it('rejects malformed subjects with a precise reason', () => {
    expect(() => assertPublishSubject('')).toThrow(new InvalidMessageError('empty subject'));
    expect(() => assertPublishSubject('a..b')).toThrow('empty token in subject "a..b"');
    expect(() => assertPublishSubject('a.b.')).toThrow('empty token');
    expect(() => assertPublishSubject('a\tb')).toThrow('whitespace in subject');
    expect(() => assertPublishSubject('a.>')).toThrow('wildcard in publish subject "a.>"');
    expect(() => parseSubscriptionSubject('a.>.b')).toThrow("'>' must be the last token");
  });

  it('checks header names and values', () => {
    expect(() => assertHeaders({ traceparent: '00-x', 'Nats-Service-Error-Code': '500', e: '' })).not.toThrow();
    expect(() => assertHeaders({ 'a b': 'v' })).toThrow('invalid character in header name "a b"');
    expect(() => assertHeaders({ 'a:b': 'v' })).toThrow('invalid character');
    expect(() => assertHeaders({ '': 'v' })).toThrow('empty header name');
    expect(() => assertHeaders({ a: 'x\ny' })).toThrow('CR/LF in header "a"');
  });
});
