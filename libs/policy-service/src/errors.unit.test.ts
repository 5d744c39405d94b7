import { POLICY_ERRORS, PolicyServiceError, type PolicyErrorCode } from '@kmsgrid/policy-domain';
import { CodecError, NoRespondersError, RemoteHandlerError, ServiceError, TransportClosedError, TransportTimeoutError } from '@kmsgrid/transport';
import { describe, expect, it } from 'vitest';
import { fromLedgerCallError, fromPolicyCallError, toServiceError } from './errors.js';

// What the transport makes of a ServiceError on the other side (instrument.ts: code, description, kind headers).
const acrossTheHop = (e: ServiceError) => new RemoteHandlerError('kmsgrid.policy.v1.decide', e.code, e.message, e.kind);

describe('policy errors across the NATS hop', () => {
  it.each(Object.keys(POLICY_ERRORS) as PolicyErrorCode[])('%s keeps its code, NATS code and message', (code) => {
    const sent = toServiceError(new PolicyServiceError(code, 'details here'));
    expect(sent).toMatchObject({ code: POLICY_ERRORS[code].natsCode, kind: code, message: `${code}: details here` });
    const received = fromPolicyCallError(acrossTheHop(sent));
    expect(received).toBeInstanceOf(PolicyServiceError);
    expect(received).toMatchObject({ code, natsCode: POLICY_ERRORS[code].natsCode, message: `${code}: details here` });
  });

  it('answers anything uncatalogued as KMSG_ERR_POLICY_INTERNAL', () => {
    const sent = toServiceError(new RangeError('boom'));
    expect(sent).toMatchObject({ code: 500, kind: 'KMSG_ERR_POLICY_INTERNAL', message: 'KMSG_ERR_POLICY_INTERNAL: boom' });
  });

  it('reads a bare 400 of the transport as a bad request, other remote failures as internal, and passes transport errors through', () => {
    expect(fromPolicyCallError(new RemoteHandlerError('s', 400, 'bad request: not JSON', undefined))).toMatchObject({ code: 'KMSG_ERR_POLICY_BAD_REQUEST' });
    expect(fromPolicyCallError(new RemoteHandlerError('s', 500, 'TypeError: x', undefined))).toMatchObject({ code: 'KMSG_ERR_POLICY_INTERNAL' });
    const timeout = new TransportTimeoutError('s', 100);
    expect(fromPolicyCallError(timeout)).toBe(timeout);
  });

  it('maps ledger call failures to LEDGER_UNAVAILABLE or LEDGER_BAD_REPLY', () => {
    for (const e of [new TransportTimeoutError('s', 100), new NoRespondersError('s'), new TransportClosedError('request'), new RemoteHandlerError('s', 503, 'commit failed', 'KMSG_ERR_LEDGER_X')]) {
      expect(fromLedgerCallError(e)).toMatchObject({ code: 'KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', cause: e });
    }
    expect(fromLedgerCallError(new CodecError('bad reply'))).toMatchObject({ code: 'KMSG_ERR_POLICY_LEDGER_BAD_REPLY' });
    const already = new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_BAD_REPLY', 'x');
    expect(fromLedgerCallError(already)).toBe(already);
  });
});
