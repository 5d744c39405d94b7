/**
 * Errors of the ledger domain. The cmid-ledger service adds these entries to
 * its catalogue as they are (same shape as the other services' catalogues).
 */
export const LEDGER_DOMAIN_ERRORS = {
  KMSG_ERR_LEDGER_COUNT_WITHOUT_REQUEST: {
    httpStatus: 400,
    natsCode: 400,
    doc: 'A record request asked to count a client but carried no decoded KMS request; the policy service has a bug.',
  },
  KMSG_ERR_LEDGER_BAD_GUID: {
    httpStatus: 400,
    natsCode: 400,
    doc: 'A CMID or request id is not a GUID string; the message skipped the LedgerRecordRequest schema check.',
  },
  KMSG_ERR_LEDGER_BAD_TIME: {
    httpStatus: 400,
    natsCode: 400,
    doc: 'The recording time of a command is not a valid date; the ledger service passed a bad clock value.',
  },
  KMSG_ERR_LEDGER_WRONG_STREAM: {
    httpStatus: 500,
    natsCode: 500,
    doc: 'A command or event of one application was applied to the count group of another; the service routed it to the wrong stream.',
  },
} as const satisfies Record<`KMSG_ERR_LEDGER_${string}`, LedgerErrorSpec>;

export interface LedgerErrorSpec {
  readonly httpStatus: number;
  readonly natsCode: number;
  /** One line for operators: what happened and what to do. */
  readonly doc: string;
}

export type LedgerDomainErrorCode = keyof typeof LEDGER_DOMAIN_ERRORS;

/** A rule of the ledger domain was broken by its input; `code` names the catalogue entry. */
export class LedgerDomainError extends Error {
  override readonly name = 'LedgerDomainError';
  constructor(
    readonly code: LedgerDomainErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
