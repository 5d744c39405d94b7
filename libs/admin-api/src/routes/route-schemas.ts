import { ErrorBodySchema } from '../schemas.js';

/** Response schemas of the error statuses a route can answer with (fastify serializes errors with them too). */
export const errorResponses = (...statuses: readonly number[]): Record<number, typeof ErrorBodySchema> =>
  Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]));
