import { ConfigError, type Env } from './env.js';

/** Structured JSON-lines logger (one object per line on stdout/stderr), enough for Kubernetes log collection. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** @example const log = createLogger({ service: 'kms-ingress' }); log.info('listening', { port: 1688 }); */
export function createLogger(base: LogFields = {}, level: LogLevel = parseLevel(process.env['KMSGRID_LOG_LEVEL'])): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, (_k, v) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v,
    );
    (lvl === 'error' || lvl === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level),
  };
}

/** A logger that drops everything (tests, libraries' default). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function parseLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'warn' || v === 'error' ? v : 'info';
}

/**
 * KMSGRID_LOG_LEVEL of a service (default `info`); a value that is no level
 * is a ConfigError, as every other variable's (createLogger alone would
 * quietly log at `info`).
 */
export function readLogLevel(env: Env): LogLevel {
  const v = env['KMSGRID_LOG_LEVEL'];
  if (v === undefined || v === '') return 'info';
  if (Object.hasOwn(ORDER, v)) return v as LogLevel;
  throw new ConfigError([`KMSGRID_LOG_LEVEL=${JSON.stringify(v)} is not a log level: use debug, info, warn or error`]);
}

/** Options of {@link throttleRepeats}. */
export type ThrottleOptions = Readonly<{
  /** At most one line per message and level in this time (default 10 s). */
  windowMs?: number;
}>;

/**
 * A logger for messages that may repeat per request while something is down
 * (a ledger that cannot commit, a policy that does not answer): the first
 * line of each message (and level) is written, then at most one per
 * `windowMs`; a written line carries `suppressed: N`, the lines of that
 * message left out since the previous one. When a window ends with lines
 * left out and none came after it, the last of them is written then (with
 * the others as `suppressed`), so the count of an incident that has ended
 * is not lost. Every occurrence is thus a written line or counted in one.
 * Use it for those call sites only: messages that differ by their fields
 * alone (one per host key at start) would be thinned too.
 *
 * @example
 * const repeats = throttleRepeats(log);
 * repeats.warn('policy unavailable, closing connection', { remoteAddress, error });
 */
export function throttleRepeats(log: Logger, opts: ThrottleOptions = {}): Logger {
  const windowMs = opts.windowMs ?? 10_000;
  const now = Date.now;
  type Entry = { nextAt: number; suppressed: number; last?: { target: Logger; fields: LogFields | undefined }; timer?: NodeJS.Timeout };
  const seen = new Map<string, Entry>();
  const open = (key: string, at: number): void => {
    seen.set(key, { nextAt: at + windowMs, suppressed: 0 });
  };
  /** Writes the last line left out of the window that just ended, if any. */
  const closeWindow = (key: string, lvl: LogLevel, msg: string): void => {
    const entry = seen.get(key);
    if (entry === undefined || entry.last === undefined) return;
    const { target, fields } = entry.last;
    open(key, now());
    target[lvl](msg, entry.suppressed > 1 ? { ...fields, suppressed: entry.suppressed - 1 } : fields);
  };
  const wrap = (target: Logger): Logger => {
    const write = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
      const key = `${lvl} ${msg}`;
      const t = now();
      const entry = seen.get(key);
      if (entry !== undefined && t < entry.nextAt) {
        entry.suppressed++;
        entry.last = { target, fields };
        if (entry.timer === undefined) {
          entry.timer = setTimeout(() => closeWindow(key, lvl, msg), entry.nextAt - t);
          // A pending count never keeps a process alive that is otherwise done.
          entry.timer.unref();
        }
        return;
      }
      clearTimeout(entry?.timer);
      open(key, t);
      const suppressed = entry?.suppressed ?? 0;
      target[lvl](msg, suppressed > 0 ? { ...fields, suppressed } : fields);
    };
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      // A child shares the parent's windows: the message is the same whoever writes it.
      child: (fields) => wrap(target.child(fields)),
    };
  };
  return wrap(log);
}
