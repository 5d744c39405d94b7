import { ContractError } from '@kmsgrid/contracts';
import { EventStoreError } from '@kmsgrid/event-store';
import { LEDGER_DOMAIN_ERRORS, LedgerDomainError, type LedgerErrorSpec } from '@kmsgrid/ledger-domain';
import { ServiceError } from '@kmsgrid/transport';

/**
 * Error catalogue of the cmid-ledger service (STYLE.md rule 11): the domain's
 * entries as they are, plus the service's. A failure crosses NATS as a
 * service error `Nats-Service-Error-Code: <natsCode>`, `Nats-Service-Error:
 * <code>: <message>` and `kmsgrid-error: <code>`; over HTTP it is `httpStatus`.
 * The NATS code is the HTTP status on purpose (same number on both transports).
 */
export const LEDGER_ERRORS = {
  ...LEDGER_DOMAIN_ERRORS,
  KMSG_ERR_LEDGER_BAD_REQUEST: {
    httpStatus: 400,
    natsCode: 400,
    doc: 'A ledger message failed its schema (LedgerRecordRequest or a query); the sender has a bug or a version skew.',
  },
  KMSG_ERR_LEDGER_BAD_CURSOR: {
    httpStatus: 400,
    natsCode: 400,
    doc: 'The cursor of a clients query is not one this service issued; start again without a cursor.',
  },
  KMSG_ERR_LEDGER_NOT_LEADER: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'This replica does not hold the writer lock (standby, or leadership just lost); the caller retries and reaches the leader.',
  },
  KMSG_ERR_LEDGER_STOPPING: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'The ledger is shutting down and takes no new requests; a standby takes over once the writer lock is released.',
  },
  KMSG_ERR_LEDGER_OVERLOADED: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'Too many record requests are waiting for a commit (Postgres is slow or down); the client is not answered and retries.',
  },
  KMSG_ERR_LEDGER_COMMIT_FAILED: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'The transaction of a batch failed and nothing of it was recorded; the ledger reloads its window from Postgres and the client retries.',
  },
  KMSG_ERR_LEDGER_UNAVAILABLE: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'Postgres did not answer a ledger query or the state reload; check the database connection.',
  },
  KMSG_ERR_LEDGER_MIGRATION_FAILED: {
    httpStatus: 500,
    natsCode: 500,
    doc: 'Migrating the ledger projection tables failed at start; the message names the migration, the cause says why.',
  },
  KMSG_ERR_LEDGER_INTERNAL: {
    httpStatus: 500,
    natsCode: 500,
    doc: 'An unexpected failure inside the ledger service; see the trace and the log for the cause.',
  },
} as const satisfies Record<`KMSG_ERR_LEDGER_${string}`, LedgerErrorSpec>;

export type LedgerErrorCode = keyof typeof LEDGER_ERRORS;

/**
 * A ledger service failure with its catalogue entry.
 *
 * @example throw new LedgerServiceError('KMSG_ERR_LEDGER_NOT_LEADER', 'standby');
 */
export class LedgerServiceError extends Error {
  override readonly name = 'LedgerServiceError';
  readonly httpStatus: number;
  readonly natsCode: number;

  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.httpStatus = LEDGER_ERRORS[code].httpStatus;
    this.natsCode = LEDGER_ERRORS[code].natsCode;
  }
}

const isLedgerErrorCode = (code: string): code is LedgerErrorCode => Object.hasOwn(LEDGER_ERRORS, code);

/**
 * Any failure as a catalogued ledger error: ledger errors as they are, domain
 * errors under their own code, schema failures as BAD_REQUEST, anything else
 * as `fallback` (default INTERNAL).
 */
export function toLedgerError(err: unknown, fallback: LedgerErrorCode = 'KMSG_ERR_LEDGER_INTERNAL'): LedgerServiceError {
  if (err instanceof LedgerServiceError) return err;
  if (err instanceof LedgerDomainError) return new LedgerServiceError(err.code, err.message.slice(err.code.length + 2), { cause: err });
  if (err instanceof ContractError) return new LedgerServiceError('KMSG_ERR_LEDGER_BAD_REQUEST', err.message, { cause: err });
  if (err instanceof EventStoreError && fallback === 'KMSG_ERR_LEDGER_INTERNAL') return new LedgerServiceError('KMSG_ERR_LEDGER_UNAVAILABLE', err.message, { cause: err });
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new LedgerServiceError(fallback, message, { cause: err });
}

/** The transport's ServiceError for a failure (code, `CODE: message`, kind = catalogue code). */
export function toServiceError(err: unknown): ServiceError {
  const e = toLedgerError(err);
  return new ServiceError(e.natsCode, e.message, { kind: e.code, cause: e });
}

/**
 * Reads a NATS service error (code header and description `KMSG_ERR_X: message`)
 * back as the typed error; null when it names no ledger code or the number does
 * not match the catalogue.
 */
export function ledgerErrorFromNats(natsCode: number, description: string): LedgerServiceError | null {
  const sep = description.indexOf(': ');
  const code = sep < 0 ? description : description.slice(0, sep);
  if (!isLedgerErrorCode(code) || LEDGER_ERRORS[code].natsCode !== natsCode) return null;
  return new LedgerServiceError(code, sep < 0 ? '' : description.slice(sep + 2));
}
