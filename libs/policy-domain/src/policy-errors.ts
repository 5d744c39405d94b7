/**
 * Error catalogue of the activation-policy service (STYLE.md rule 11).
 *
 * These are service failures, not activation refusals: a refused product is a
 * normal `refuse` reply carrying an HRESULT (see hresults.ts). A failure is
 * sent as a NATS service error, `Nats-Service-Error-Code: <natsCode>` with
 * `Nats-Service-Error: <code>: <message>`, and over HTTP with `httpStatus`.
 * The NATS code is the HTTP status on purpose, so one number means the same
 * on both transports; the `KMSG_ERR_*` code is what tells errors apart.
 */
export const POLICY_ERRORS = {
  KMSG_ERR_POLICY_CONFIG_INVALID: {
    httpStatus: 500,
    natsCode: 500,
    doc: 'The KMSGRID_* configuration is invalid; the message lists each variable, what is wrong and how to fix it.',
  },
  KMSG_ERR_POLICY_BAD_REQUEST: {
    httpStatus: 400,
    natsCode: 400,
    doc: 'A decide request failed the PolicyDecideRequest schema; the sender (kms-ingress) has a bug or a version skew.',
  },
  KMSG_ERR_POLICY_LEDGER_UNAVAILABLE: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'cmid-ledger did not answer (no responders or timeout); the client is not answered and retries on its own schedule.',
  },
  KMSG_ERR_POLICY_LEDGER_BAD_REPLY: {
    httpStatus: 502,
    natsCode: 502,
    doc: 'cmid-ledger answered with a reply that failed the LedgerRecordReply schema (version skew between services).',
  },
  KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE: {
    httpStatus: 503,
    natsCode: 503,
    doc: 'The ePID/HWID of a host key could not be read from or stored in the event store.',
  },
  KMSG_ERR_POLICY_IDENTITY_CONFLICT: {
    httpStatus: 409,
    natsCode: 409,
    doc: 'Two replicas generated a host-key identity at once; the loser re-reads and uses the stored one.',
  },
  KMSG_ERR_POLICY_INTERNAL: {
    httpStatus: 500,
    natsCode: 500,
    doc: 'An unexpected failure inside the policy service; see the trace for the cause.',
  },
} as const satisfies Record<`KMSG_ERR_POLICY_${string}`, PolicyErrorSpec>;

export interface PolicyErrorSpec {
  readonly httpStatus: number;
  readonly natsCode: number;
  /** One line for operators: what happened and what to do. */
  readonly doc: string;
}

export type PolicyErrorCode = keyof typeof POLICY_ERRORS;

/**
 * A policy service failure with its catalogue entry.
 *
 * @example throw new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', 'no responders', { cause: e });
 */
export class PolicyServiceError extends Error {
  override readonly name = 'PolicyServiceError';
  readonly httpStatus: number;
  readonly natsCode: number;

  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.httpStatus = POLICY_ERRORS[code].httpStatus;
    this.natsCode = POLICY_ERRORS[code].natsCode;
  }
}

const isPolicyErrorCode = (code: string): code is PolicyErrorCode => Object.hasOwn(POLICY_ERRORS, code);

/**
 * Maps a NATS service error (code header and description `KMSG_ERR_X: message`)
 * back to the typed error; `null` when the description names no policy code or
 * the numeric code does not match the catalogue.
 */
export function policyErrorFromNats(natsCode: number, description: string): PolicyServiceError | null {
  const sep = description.indexOf(': ');
  const code = sep < 0 ? description : description.slice(0, sep);
  if (!isPolicyErrorCode(code) || POLICY_ERRORS[code].natsCode !== natsCode) return null;
  return new PolicyServiceError(code, sep < 0 ? '' : description.slice(sep + 2));
}
