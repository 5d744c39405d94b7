import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** A message that failed its runtime schema at a service boundary. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly contract: string,
    readonly problems: readonly string[],
  ) {
    super(`${contract}: ${problems.join('; ')}`);
  }
}

export interface Codec<T> {
  readonly name: string;
  readonly schema: TSchema;
  /** Validates an unknown value (already parsed) and returns it typed; throws ContractError. */
  check(value: unknown): T;
  encode(value: T): Uint8Array;
  /** Parses JSON bytes and validates them; throws ContractError on any problem. */
  decode(bytes: Uint8Array): T;
}

const textDecoder = new TextDecoder();

/**
 * A JSON codec with a compiled runtime schema. JSON keeps every message
 * readable in `nats sub` and in the event store; 64-bit values travel as
 * decimal strings.
 *
 * @example const c = jsonCodec('PolicyDecision', PolicyDecisionSchema); c.decode(c.encode(x));
 */
export function jsonCodec<S extends TSchema>(name: string, schema: S): Codec<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  const check = (value: unknown): Static<S> => {
    if (compiled.Check(value)) return value;
    const problems = [...compiled.Errors(value)].slice(0, 5).map((e) => `${e.path || '/'} ${e.message}`);
    throw new ContractError(name, problems);
  };
  return {
    name,
    schema,
    check,
    // Buffer.from takes small payloads from Node's shared pool; TextEncoder allocates a fresh ArrayBuffer per message.
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    decode: (bytes) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(textDecoder.decode(bytes));
      } catch (e) {
        throw new ContractError(name, [`not JSON: ${(e as Error).message}`]);
      }
      return check(parsed);
    },
  };
}
