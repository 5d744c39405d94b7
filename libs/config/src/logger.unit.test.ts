import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './env.js';
import { readLogLevel, throttleRepeats, type LogFields, type Logger } from './logger.js';

/** A logger that records what it was asked to write, with its child fields. */
function recording(lines: { level: string; msg: string; fields: LogFields | undefined }[], base: LogFields = {}): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields) => lines.push({ level, msg, fields: Object.keys(base).length === 0 ? fields : { ...base, ...fields } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => recording(lines, { ...base, ...f }) };
}

describe('throttleRepeats', () => {
  type Line = { level: string; msg: string; fields: LogFields | undefined };
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the first line of a message, then one per window carrying how many were left out', () => {
    const lines: Line[] = [];
    const log = throttleRepeats(recording(lines), { windowMs: 1000 });
    log.warn('policy unavailable', { n: 1 });
    for (let i = 2; i <= 5; i++) {
      vi.setSystemTime(Date.now() + 100);
      log.warn('policy unavailable', { n: i });
    }
    vi.setSystemTime(1000);
    log.warn('policy unavailable', { n: 6 });
    vi.setSystemTime(1500);
    log.warn('policy unavailable', { n: 7 });
    vi.setSystemTime(2000);
    log.warn('policy unavailable', { n: 8 });
    expect(lines).toEqual([
      { level: 'warn', msg: 'policy unavailable', fields: { n: 1 } },
      { level: 'warn', msg: 'policy unavailable', fields: { n: 6, suppressed: 4 } },
      { level: 'warn', msg: 'policy unavailable', fields: { n: 8, suppressed: 1 } },
    ]);
  });

  it('writes the last line left out when its window ends quietly, so no occurrence goes uncounted', () => {
    const lines: Line[] = [];
    const log = throttleRepeats(recording(lines), { windowMs: 1000 });
    for (let i = 1; i <= 5; i++) {
      log.error('batch commit failed', { n: i });
      vi.advanceTimersByTime(100);
    }
    // The incident ended at 400 ms: nothing more until the window closes at 1000 ms.
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(600);
    expect(lines).toEqual([
      { level: 'error', msg: 'batch commit failed', fields: { n: 1 } },
      { level: 'error', msg: 'batch commit failed', fields: { n: 5, suppressed: 3 } },
    ]);
    // A window that left one line out writes it as it was.
    vi.advanceTimersByTime(5000);
    log.error('batch commit failed', { n: 6 });
    log.error('batch commit failed', { n: 7 });
    vi.advanceTimersByTime(1000);
    expect(lines.slice(2)).toEqual([
      { level: 'error', msg: 'batch commit failed', fields: { n: 6 } },
      { level: 'error', msg: 'batch commit failed', fields: { n: 7 } },
    ]);
    // Nothing is pending: no timer is left behind.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps writing one line per window while the repeats go on, through the child that wrote the last', () => {
    const lines: Line[] = [];
    const log = throttleRepeats(recording(lines), { windowMs: 1000 });
    const child = log.child({ component: 'ledger' });
    for (let i = 1; i <= 30; i++) {
      (i % 2 === 0 ? child : log).warn('writer lock attempt failed', { n: i });
      vi.advanceTimersByTime(100);
    }
    vi.runAllTimers();
    expect(lines.map((l) => l.fields)).toEqual([
      { n: 1 },
      { n: 10, suppressed: 8, component: 'ledger' },
      { n: 20, suppressed: 9, component: 'ledger' },
      { n: 30, suppressed: 9, component: 'ledger' },
    ]);
    const total = lines.reduce((sum, l) => sum + 1 + Number(l.fields?.['suppressed'] ?? 0), 0);
    expect(total).toBe(30);
  });

  it('keeps a window per message and level, shared with its children', () => {
    const lines: Line[] = [];
    const log = throttleRepeats(recording(lines), { windowMs: 1000 });
    log.error('batch commit failed');
    log.warn('batch commit failed');
    log.error('reload failed');
    log.child({ component: 'x' }).error('batch commit failed');
    log.child({ component: 'x' }).info('other');
    expect(lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields)}`)).toEqual([
      'error batch commit failed undefined',
      'warn batch commit failed undefined',
      'error reload failed undefined',
      'info other {"component":"x"}',
    ]);
  });
});

describe('readLogLevel', () => {
  it('reads KMSGRID_LOG_LEVEL, info when unset or empty', () => {
    expect(readLogLevel({})).toBe('info');
    expect(readLogLevel({ KMSGRID_LOG_LEVEL: '' })).toBe('info');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) expect(readLogLevel({ KMSGRID_LOG_LEVEL: level })).toBe(level);
  });

  it('refuses a value that is no level with a ConfigError saying which are', () => {
    for (const v of ['warning', 'INFO', 'toString']) {
      expect(() => readLogLevel({ KMSGRID_LOG_LEVEL: v })).toThrow(ConfigError);
      expect(() => readLogLevel({ KMSGRID_LOG_LEVEL: v })).toThrow(/use debug, info, warn or error/);
    }
  });
});
