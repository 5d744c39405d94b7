import { describe, expect, it } from 'vitest';
import { decisiveFailure, exitCodeOf } from './result.js';

describe('exit codes and failures', () => {
  it('maps failure kinds to the documented exit codes', () => {
    expect(exitCodeOf(undefined)).toBe(0);
    for (const kind of ['hresult', 'check', 'protocol', 'rpc'] as const) expect(exitCodeOf({ kind, message: '' })).toBe(1);
    expect(exitCodeOf({ kind: 'usage', message: '' })).toBe(2);
    for (const kind of ['refused', 'timeout', 'closed', 'network', 'dns'] as const) expect(exitCodeOf({ kind, message: '' })).toBe(3);
  });

  it('reports a network failure before earlier activation failures', () => {
    const hr = { kind: 'hresult' as const, message: 'h', hresult: 1 };
    const to = { kind: 'timeout' as const, message: 't' };
    expect(decisiveFailure([hr, to])).toBe(to);
    expect(decisiveFailure([hr])).toBe(hr);
    expect(decisiveFailure([])).toBeUndefined();
  });
});
