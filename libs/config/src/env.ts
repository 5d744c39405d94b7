/**
 * Environment parsing with one-line, actionable errors. A reader collects every
 * problem; `done()` returns the config or throws a ConfigError listing them all,
 * which main.ts prints (one line each) before exiting with status 2.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses `host:port`, `[v6]:port`, `:port` or `port`. Returns undefined when malformed. */
export function parseHostPort(text: string, defaultHost = '0.0.0.0'): ListenAddress | undefined {
  const s = text.trim();
  let host: string;
  let port: string;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1]!;
    port = v6[2]!;
  } else if (/^\d+$/.test(s)) {
    host = defaultHost;
    port = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0 || s.indexOf(':') !== i) return undefined;
    host = s.slice(0, i) || defaultHost;
    port = s.slice(i + 1);
  }
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65535) return undefined;
  return { host, port: n };
}

export const formatHostPort = (a: ListenAddress): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export class EnvReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? fallback : v.trim();
  }

  required(name: string, hint: string): string {
    const v = this.string(name);
    if (v === undefined) {
      this.problem(`${name} is not set: ${hint}`);
      return '';
    }
    return v;
  }

  integer(name: string, fallback: number, min: number, max: number, unit = ''): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max) {
      this.problem(`${name}=${v} is invalid: use a whole number from ${min} to ${max}${unit ? ` (${unit})` : ''}, default ${fallback}`);
      return fallback;
    }
    return n;
  }

  listen(name: string, fallback: string): ListenAddress {
    const v = this.string(name, fallback);
    const a = parseHostPort(v);
    if (!a) {
      this.problem(`${name}=${v} is invalid: use host:port, [ipv6]:port or :port (default ${fallback})`);
      return parseHostPort(fallback)!;
    }
    return a;
  }

  /** One address or several separated by commas, e.g. `0.0.0.0:1688,[::]:1688`. */
  listenList(name: string, fallback: string): ListenAddress[] {
    const text = this.string(name, fallback);
    const out: ListenAddress[] = [];
    for (const part of text.split(',')) {
      const a = parseHostPort(part);
      if (!a) {
        this.problem(`${name}=${text} is invalid: use host:port, [ipv6]:port or :port, several separated by commas (default ${fallback})`);
        return fallback.split(',').map((f) => parseHostPort(f)!);
      }
      out.push(a);
    }
    return out;
  }

  onOff(name: string, fallback: boolean): boolean {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (/^(1|on|true|yes)$/i.test(v)) return true;
    if (/^(0|off|false|no)$/i.test(v)) return false;
    this.problem(`${name}=${v} is invalid: use on or off (default ${fallback ? 'on' : 'off'})`);
    return fallback;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) throw new Error(u.protocol);
      return v;
    } catch {
      this.problem(`${name}=${v} is invalid: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  }

  /** Throws ConfigError when any problem was found. */
  done<T>(value: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return value;
  }
}
