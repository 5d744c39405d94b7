import {
  CodecError,
  NoRespondersError,
  RemoteHandlerError,
  SERVICE_ERROR_CODE,
  ServiceError,
  TransportClosedError,
  TransportTimeoutError,
} from '@kmsgrid/transport';
import { PolicyServiceError, policyErrorFromNats } from '@kmsgrid/policy-domain';

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The service error a policy failure is answered with over NATS: the
 * catalogue's NATS code, `kind` = the KMSG_ERR_POLICY_* code and the
 * description `KMSG_ERR_POLICY_X: message` (what `policyErrorFromNats` reads).
 * Anything not catalogued becomes KMSG_ERR_POLICY_INTERNAL.
 */
export function toServiceError(err: unknown): ServiceError {
  const policyError = err instanceof PolicyServiceError ? err : new PolicyServiceError('KMSG_ERR_POLICY_INTERNAL', messageOf(err), { cause: err });
  return new ServiceError(policyError.natsCode, policyError.message, { kind: policyError.code, cause: policyError });
}

/**
 * A failed policy call as the caller sees it: the policy's catalogued error
 * when it answered with one, KMSG_ERR_POLICY_BAD_REQUEST for a request the
 * transport could not decode, the transport error itself otherwise (timeout,
 * no responders, closed).
 */
export function fromPolicyCallError(err: unknown): unknown {
  if (!(err instanceof RemoteHandlerError)) return err;
  const known = policyErrorFromNats(err.code, err.description);
  if (known !== null) return new PolicyServiceError(known.code, known.message.slice(known.code.length + 2), { cause: err });
  if (err.code === SERVICE_ERROR_CODE.badRequest) return new PolicyServiceError('KMSG_ERR_POLICY_BAD_REQUEST', err.description, { cause: err });
  return new PolicyServiceError('KMSG_ERR_POLICY_INTERNAL', `${err.code}: ${err.description}`, { cause: err });
}

/**
 * A failed ledger call as a policy error: unreachable or failing ledger ->
 * KMSG_ERR_POLICY_LEDGER_UNAVAILABLE, a reply failing its schema ->
 * KMSG_ERR_POLICY_LEDGER_BAD_REPLY. Either way nothing is answered to the client.
 */
export function fromLedgerCallError(err: unknown): PolicyServiceError {
  if (err instanceof PolicyServiceError) return err;
  if (err instanceof CodecError) return new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_BAD_REPLY', err.reason, { cause: err });
  if (err instanceof TransportTimeoutError || err instanceof NoRespondersError || err instanceof TransportClosedError) {
    return new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', err.message, { cause: err });
  }
  if (err instanceof RemoteHandlerError) {
    return new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', `ledger answered ${err.code}${err.kind === undefined ? '' : ` ${err.kind}`}: ${err.description}`, { cause: err });
  }
  return new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', messageOf(err), { cause: err });
}
