import { describe, expect, it } from 'vitest';
import { ContractError } from '@kmsgrid/contracts';
import { ConcurrencyError, EventStoreError } from '@kmsgrid/event-store';
import { LEDGER_DOMAIN_ERRORS, LedgerDomainError } from '@kmsgrid/ledger-domain';
import { ServiceError } from '@kmsgrid/transport';
import { LEDGER_ERRORS, LedgerServiceError, ledgerErrorFromNats, toLedgerError, toServiceError, type LedgerErrorCode } from './errors.js';

const codes = Object.keys(LEDGER_ERRORS) as LedgerErrorCode[];

describe('ledger error catalogue', () => {
  it('Given the catalogue, Then every code is KMSG_ERR_LEDGER_*, documented once, and the domain entries are in it as they are', () => {
    for (const code of codes) {
      expect(code).toMatch(/^KMSG_ERR_LEDGER_[A-Z][A-Z_]*[A-Z]$/);
      expect(LEDGER_ERRORS[code].doc.length, code).toBeGreaterThan(20);
    }
    expect(new Set(codes.map((c) => LEDGER_ERRORS[c].doc)).size).toBe(codes.length);
    for (const [code, spec] of Object.entries(LEDGER_DOMAIN_ERRORS)) expect(LEDGER_ERRORS[code as LedgerErrorCode]).toEqual(spec);
  });

  it('Given the catalogue, Then HTTP status and NATS service error code match and are error statuses', () => {
    for (const code of codes) {
      const { httpStatus, natsCode } = LEDGER_ERRORS[code];
      expect(natsCode, code).toBe(httpStatus);
      expect(httpStatus >= 400 && httpStatus <= 599, code).toBe(true);
    }
  });

  it('Given each code, When it becomes a NATS service error and is read back, Then it is the same error', () => {
    for (const code of codes) {
      const sent = toServiceError(new LedgerServiceError(code, 'detail'));
      expect(sent).toBeInstanceOf(ServiceError);
      expect(sent.kind).toBe(code);
      expect(sent.code).toBe(LEDGER_ERRORS[code].natsCode);
      const back = ledgerErrorFromNats(sent.code, sent.message);
      expect(back?.code).toBe(code);
      expect(back?.message).toBe(`${code}: detail`);
      expect(back?.httpStatus).toBe(LEDGER_ERRORS[code].httpStatus);
    }
    expect(ledgerErrorFromNats(418, 'KMSG_ERR_LEDGER_INTERNAL: x')).toBeNull();
    expect(ledgerErrorFromNats(500, 'boom')).toBeNull();
    expect(ledgerErrorFromNats(500, 'toString: x')).toBeNull();
  });

  it('maps failures onto the catalogue', () => {
    const domain = toLedgerError(new LedgerDomainError('KMSG_ERR_LEDGER_BAD_TIME', 'no clock'));
    expect([domain.code, domain.message, domain.natsCode]).toEqual(['KMSG_ERR_LEDGER_BAD_TIME', 'KMSG_ERR_LEDGER_BAD_TIME: no clock', 400]);
    expect(toLedgerError(new ContractError('LedgerRecordRequest', ['/origin required'])).code).toBe('KMSG_ERR_LEDGER_BAD_REQUEST');
    expect(toLedgerError(new ConcurrencyError('countgroup:x', 1, 2)).code).toBe('KMSG_ERR_LEDGER_UNAVAILABLE');
    expect(toLedgerError(new EventStoreError('ES_STORAGE', 'down'), 'KMSG_ERR_LEDGER_COMMIT_FAILED').code).toBe('KMSG_ERR_LEDGER_COMMIT_FAILED');
    const internal = toLedgerError(new TypeError('oops'));
    expect([internal.code, internal.natsCode]).toEqual(['KMSG_ERR_LEDGER_INTERNAL', 500]);
    const same = new LedgerServiceError('KMSG_ERR_LEDGER_OVERLOADED', 'x');
    expect(toLedgerError(same)).toBe(same);
    const cause = new Error('socket');
    expect(new LedgerServiceError('KMSG_ERR_LEDGER_COMMIT_FAILED', 'x', { cause }).cause).toBe(cause);
  });
});
