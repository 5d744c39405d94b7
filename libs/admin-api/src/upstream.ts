import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AdminError } from './errors.js';

/** A data source the admin API reads, with the schema its answers must pass. */
export interface Upstream<S extends TSchema> {
  /** Shown in error messages: `cmid-ledger`, `activation-policy`, `dns-registrar`. */
  readonly name: string;
  readonly schema: S;
}

const compiled = new WeakMap<TSchema, ReturnType<typeof TypeCompiler.Compile>>();
const checkerFor = (schema: TSchema) => {
  let c = compiled.get(schema);
  if (c === undefined) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
};

const describe = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
};

/**
 * Calls an injected data source with a deadline and checks its answer.
 * Failures become catalogue errors: no answer (throw or timeout) is
 * KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE, an answer failing the schema is
 * KMSG_ERR_ADMIN_UPSTREAM_BAD_REPLY.
 */
export async function callUpstream<S extends TSchema>(upstream: Upstream<S>, call: () => Promise<unknown>, timeoutMs: number): Promise<Static<S>> {
  let timer: NodeJS.Timeout | undefined;
  let reply: unknown;
  try {
    reply = await Promise.race([
      Promise.resolve().then(call),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    throw new AdminError('KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE', `${upstream.name} unavailable: ${describe(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  const checker = checkerFor(upstream.schema);
  if (!checker.Check(reply)) {
    const problems = [...checker.Errors(reply)].slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`);
    throw new AdminError('KMSG_ERR_ADMIN_UPSTREAM_BAD_REPLY', `${upstream.name} answered with an invalid reply: ${problems.join('; ')}`);
  }
  return reply;
}
