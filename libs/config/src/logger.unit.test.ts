import { describe, expect, it } from 'vitest';
import { ConfigError } from './env.js';
import { readLogLevel, throttleRepeats, type LogFields, type Logger } from './logger.js';

/** A logger that records what it was asked to write, with its child fields. */
function recording(lines: { level: string; msg: string; fields: LogFields | undefined }[], base: LogFields = {}): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields) => lines.push({ level, msg, fields: Object.keys(base).length === 0 ? fields : { ...base, ...fields } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => recording(lines, { ...base, ...f }) };
}

describe('throttleRepeats', () => {
  it('writes the first line of a message, then one per window carrying how many were left out', () => {
    const lines: { level: string; msg: string; fields: LogFields | undefined }[] = [];
    let t = 0;
    const log = throttleRepeats(recording(lines), { windowMs: 1000, now: () => t });
    log.warn('policy unavailable', { n: 1 });
    for (let i = 2; i <= 5; i++) {
      t += 100;
      log.warn('policy unavailable', { n: i });
    }
    t = 1000;
    log.warn('policy unavailable', { n: 6 });
    t = 1500;
    log.warn('policy unavailable', { n: 7 });
    t = 2000;
    log.warn('policy unavailable', { n: 8 });
    expect(lines).toEqual([
      { level: 'warn', msg: 'policy unavailable', fields: { n: 1 } },
      { level: 'warn', msg: 'policy unavailable', fields: { n: 6, suppressed: 4 } },
      { level: 'warn', msg: 'policy unavailable', fields: { n: 8, suppressed: 1 } },
    ]);
  });

  it('keeps a window per message and level, shared with its children', () => {
    const lines: { level: string; msg: string; fields: LogFields | undefined }[] = [];
    const log = throttleRepeats(recording(lines), { windowMs: 1000, now: () => 0 });
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
