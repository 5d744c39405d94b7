/**
 * Error catalogue of the admin API (STYLE.md rule 11). Every error response
 * carries one of these codes in `code`, with `statusCode` equal to the HTTP
 * status of the entry. The admin API serves no NATS subject, so the entries
 * carry no NATS code.
 */
export const ADMIN_ERRORS = {
  KMSG_ERR_ADMIN_NOT_FOUND: {
    httpStatus: 404,
    doc: 'No such route or method; the routes are GET /, /healthz, /readyz, /v1/status, /v1/clients and /metrics.',
  },
  KMSG_ERR_ADMIN_BAD_QUERY: {
    httpStatus: 400,
    doc: 'A query parameter is unknown or invalid; the message names it and says what is accepted.',
  },
  KMSG_ERR_ADMIN_NOT_READY: {
    httpStatus: 503,
    doc: 'A readiness check failed or timed out; the body lists the failing checks. Kubernetes stops routing traffic here until it passes.',
  },
  KMSG_ERR_ADMIN_UPSTREAM_UNAVAILABLE: {
    httpStatus: 503,
    doc: 'activation-policy, cmid-ledger or the DNS registrar did not answer in time (no responders, timeout or error); retry later.',
  },
  KMSG_ERR_ADMIN_UPSTREAM_BAD_REPLY: {
    httpStatus: 502,
    doc: 'An upstream answered with data that failed the admin schema (version skew between services or a wiring bug).',
  },
  KMSG_ERR_ADMIN_INTERNAL: {
    httpStatus: 500,
    doc: 'An unexpected failure inside the admin API; the log line with the same request id has the cause.',
  },
} as const satisfies Record<`KMSG_ERR_ADMIN_${string}`, AdminErrorSpec>;

export interface AdminErrorSpec {
  readonly httpStatus: number;
  /** One line for operators: what happened and what to do. */
  readonly doc: string;
}

export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

/**
 * An admin API failure with its catalogue entry; the error handler turns it
 * into `{ statusCode, code, message }`.
 *
 * @example throw new AdminError('KMSG_ERR_ADMIN_BAD_QUERY', 'limit must be at most 500');
 */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  readonly httpStatus: number;

  constructor(
    readonly code: AdminErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.httpStatus = ADMIN_ERRORS[code].httpStatus;
  }
}

export const isAdminErrorCode = (code: string): code is AdminErrorCode => Object.hasOwn(ADMIN_ERRORS, code);
