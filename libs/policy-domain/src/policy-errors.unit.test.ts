import { describe, expect, it } from 'vitest';
import { POLICY_ERRORS, PolicyServiceError, policyErrorFromNats, type PolicyErrorCode } from './policy-errors.js';
import { POLICY_HRESULT_TABLE, POLICY_HRESULTS, formatHresult } from './hresults.js';

const codes = Object.keys(POLICY_ERRORS) as PolicyErrorCode[];

describe('policy error catalogue', () => {
  it('Given the catalogue, Then every code is KMSG_ERR_POLICY_* and documented', () => {
    for (const code of codes) {
      expect(code).toMatch(/^KMSG_ERR_POLICY_[A-Z][A-Z_]*[A-Z]$/);
      expect(POLICY_ERRORS[code].doc.length).toBeGreaterThan(20);
    }
    expect(new Set(codes.map((c) => POLICY_ERRORS[c].doc)).size).toBe(codes.length);
  });

  it('Given the catalogue, Then HTTP status and NATS service error code match and are error statuses', () => {
    for (const code of codes) {
      const { httpStatus, natsCode } = POLICY_ERRORS[code];
      expect(natsCode, code).toBe(httpStatus);
      expect(httpStatus >= 400 && httpStatus <= 599, code).toBe(true);
    }
  });

  it('Given each code, When it crosses NATS and is read back, Then it is the same unique error', () => {
    for (const code of codes) {
      const sent = new PolicyServiceError(code, 'detail');
      const back = policyErrorFromNats(sent.natsCode, sent.message);
      expect(back?.code).toBe(code);
      expect(back?.message).toBe(sent.message);
      expect(back?.httpStatus).toBe(POLICY_ERRORS[code].httpStatus);
    }
  });

  it('When the NATS code does not match the catalogue or the text names no code, Then it is not a policy error', () => {
    expect(policyErrorFromNats(418, 'KMSG_ERR_POLICY_INTERNAL: x')).toBeNull();
    expect(policyErrorFromNats(500, 'boom')).toBeNull();
    expect(policyErrorFromNats(500, 'toString: x')).toBeNull();
  });

  it('keeps the cause', () => {
    const cause = new Error('no responders');
    expect(new PolicyServiceError('KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', 'x', { cause }).cause).toBe(cause);
  });
});

describe('policy HRESULT table', () => {
  it('Given the table, Then each row is one distinct HRESULT with its printed hex and a source', () => {
    expect(POLICY_HRESULT_TABLE.map((r) => r.hresult).sort()).toEqual(Object.values(POLICY_HRESULTS).sort());
    for (const row of POLICY_HRESULT_TABLE) {
      expect(row.hresult).toBe(POLICY_HRESULTS[row.name]);
      expect(formatHresult(row.hresult)).toBe(row.hex);
      expect(row.sources.length).toBeGreaterThan(0);
    }
  });

  it('prints HRESULTs as clients do', () => {
    expect(formatHresult(0xc004f042)).toBe('0xC004F042');
    expect(formatHresult(0x8007000d)).toBe('0x8007000D');
    expect(formatHresult(-1073418174)).toBe('0xC004F042');
  });
});
