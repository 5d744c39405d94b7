import { KmsProtocolError, type ProtocolErrorCode } from '../wire/errors.js';

/** A fuzz finding: an exception other than KmsProtocolError escaped, or an invariant broke. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

/** Outcome counters of one decoder or state-machine step. */
export interface DecoderStats {
  calls: number;
  ok: number;
  rejected: number;
}

/**
 * What a fuzz case reports into. `decode` runs a decoder whose only allowed
 * exception is {@link KmsProtocolError}; `step` runs something that must not
 * throw at all (RpcServerConnection.receive, the harness's own checks).
 */
export class Recorder {
  readonly decoders = new Map<string, DecoderStats>();
  readonly codes = new Map<ProtocolErrorCode, number>();

  constructor(private readonly enabled = true) {}

  private slot(name: string): DecoderStats {
    let s = this.decoders.get(name);
    if (s === undefined) {
      s = { calls: 0, ok: 0, rejected: 0 };
      this.decoders.set(name, s);
    }
    return s;
  }

  decode<T>(decoder: string, fn: () => T): T | undefined {
    const s = this.enabled ? this.slot(decoder) : undefined;
    if (s) s.calls++;
    try {
      const v = fn();
      if (s) s.ok++;
      return v;
    } catch (e) {
      if (e instanceof KmsProtocolError) {
        if (s) s.rejected++;
        this.code(e.code);
        return undefined;
      }
      if (e instanceof FuzzFailure) throw e;
      throw new FuzzFailure(`${decoder} threw ${describeError(e)}`, { cause: e });
    }
  }

  step<T>(what: string, fn: () => T): T {
    const s = this.enabled ? this.slot(what) : undefined;
    if (s) s.calls++;
    try {
      const v = fn();
      if (s) s.ok++;
      return v;
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      throw new FuzzFailure(`${what} threw ${describeError(e)}`, { cause: e });
    }
  }

  /** A protocol error reported in an event (close, client error) instead of thrown. */
  reported(what: string, code: ProtocolErrorCode): void {
    if (!this.enabled) return;
    this.slot(what).rejected++;
    this.code(code);
  }

  private code(code: ProtocolErrorCode): void {
    if (this.enabled) this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }
}

export const describeError = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(e);

/** Throws a {@link FuzzFailure} unless `ok`. */
export function invariant(ok: boolean, message: () => string): asserts ok {
  if (!ok) throw new FuzzFailure(message());
}
