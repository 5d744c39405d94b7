import type { KmsRequestDto, LedgerRecordRequest, ProtocolVersionDto, RequestOriginDto } from '@kmsgrid/contracts';
import { NO_APPLICATION_ID } from './constants.js';
import { LedgerDomainError } from './errors.js';

type CommandBase = {
  /** When the ledger records the request; injected by the service, never read from a clock here. */
  readonly now: Date;
  readonly applicationId: string;
  readonly origin: RequestOriginDto;
  readonly version: ProtocolVersionDto;
};

/** Data of an accepted request: the policy decided it counts. */
export type CountRequestData = CommandBase & {
  readonly request: KmsRequestDto;
  readonly decision: Readonly<{ kind: 'count'; hostKeyId: string }>;
};

/** Data of a refused request; `request` is absent when its body could not be decoded. */
export type RefusedRequestData = CommandBase & {
  readonly request?: KmsRequestDto;
  readonly decision: Readonly<{ kind: 'refused'; hresult: number; reason: string }>;
};

/** Record one KMS request in the count group of its application (stream `countgroup:<applicationId>`). */
export type RecordActivationRequest = Readonly<{
  type: 'RecordActivationRequest';
  data: CountRequestData | RefusedRequestData;
}>;

export type CountGroupCommand = RecordActivationRequest;

/**
 * Builds the command from a `LedgerRecordRequest` (already schema-checked)
 * and the time it is recorded. Requests without a decoded body belong to the
 * group {@link NO_APPLICATION_ID}.
 *
 * @throws LedgerDomainError `KMSG_ERR_LEDGER_COUNT_WITHOUT_REQUEST` when a count has no request,
 *   `KMSG_ERR_LEDGER_BAD_TIME` when `now` is an invalid date.
 * @example const cmd = toRecordActivationRequest(ledgerRecordRequestCodec.decode(bytes), new Date());
 */
export function toRecordActivationRequest(message: LedgerRecordRequest, now: Date): RecordActivationRequest {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new LedgerDomainError('KMSG_ERR_LEDGER_BAD_TIME', `recording time ${String(now)} is not a valid date`);
  }
  const { origin, version, request, decision } = message;
  const applicationId = request?.applicationId ?? NO_APPLICATION_ID;
  if (decision.kind === 'count') {
    if (request === undefined) {
      throw new LedgerDomainError('KMSG_ERR_LEDGER_COUNT_WITHOUT_REQUEST', `request ${origin.requestId} is to be counted but has no decoded body`);
    }
    return { type: 'RecordActivationRequest', data: { now, applicationId, origin, version, request, decision } };
  }
  return {
    type: 'RecordActivationRequest',
    data: request === undefined ? { now, applicationId, origin, version, decision } : { now, applicationId, origin, version, request, decision },
  };
}
