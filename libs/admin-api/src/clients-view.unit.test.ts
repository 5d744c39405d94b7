import { describe, expect, it } from 'vitest';
import { parseClientsQuery, toClientView } from './clients-view.js';
import { AdminError } from './errors.js';
import { parseLicenseState } from './license-states.js';
import type { ClientRecord } from './schemas.js';

const NOW = new Date('2026-05-04T12:00:00.000Z');

describe('parseClientsQuery', () => {
  it('defaults the limit and accepts application GUIDs with braces and any case', () => {
    expect(parseClientsQuery({ application: '{55C92734-D682-4D71-983E-D6EC3F16059F}' }, NOW)).toEqual({
      applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
      limit: 100,
    });
  });
  it.each([
    ['30m', '2026-05-04T11:30:00.000Z'],
    ['24h', '2026-05-03T12:00:00.000Z'],
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
    ['2026-05-01T10:00:00+02:00', '2026-05-01T08:00:00.000Z'],
  ])('since %s is %s', (since, seenSince) => {
    expect(parseClientsQuery({ since }, NOW).seenSince).toBe(seenSince);
  });
  it('throws a BAD_QUERY AdminError for nonsense', () => {
    expect(() => parseClientsQuery({ since: '2026-13-45' }, NOW)).toThrow(AdminError);
    expect(() => parseClientsQuery({ licenseStatus: 'happy' }, NOW)).toThrow(/licenseStatus "happy" is unknown/);
  });
});

describe('parseLicenseState', () => {
  it.each([
    ['0', 0], ['6', 6], ['Licensed', 1], ['initial_grace', 2], ['oob-grace', 2], ['OOT-GRACE', 3], ['non-genuine', 4], ['extended', 6],
    ['7', undefined], ['', undefined], ['-1', undefined],
  ])('%s -> %s', (text, code) => {
    expect(parseLicenseState(text)).toBe(code);
  });
});

describe('toClientView', () => {
  const record: ClientRecord = {
    applicationId: '55C92734-D682-4D71-983E-D6EC3F16059F',
    cmid: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE',
    firstSeenAt: '2026-05-01T00:00:00.000Z',
    lastSeenAt: '2026-05-04T00:00:00.000Z',
    workstationName: 'PC-1',
    clientAddress: '10.0.0.1',
    kmsCountedId: '907f1f65-adcd-4a2e-95bc-4bf500bc6e58',
    skuId: '7dc26449-db21-4e09-ba37-28f2958506a6',
    licenseStatus: 2,
    bindingExpirationMinutes: 43_200,
    isVirtualMachine: true,
    previousCmid: '00000000-0000-0000-0000-000000000000',
    requestCount: 3,
    lastOutcome: 'refused',
    lastHresult: 0xc004f042,
  };
  it('names the product, application and license state and formats the refusal', () => {
    expect(toClientView(record)).toMatchObject({
      cmid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      applicationName: 'Windows',
      productName: 'Windows Server 2025 Standard',
      kmsCountedName: 'Windows Server 2025',
      licenseStatusName: 'Initial grace period',
      lastError: '0xC004F042',
      nPolicy: null,
    });
  });
  it('falls back to the KMS item name, then to "unknown SKU"', () => {
    expect(toClientView({ ...record, skuId: '00000000-0000-0000-0000-000000000001' }).productName).toBe('Windows Server 2025');
    expect(toClientView({ ...record, skuId: '00000000-0000-0000-0000-000000000001', kmsCountedId: '00000000-0000-0000-0000-000000000002' })).toMatchObject({
      productName: 'unknown SKU',
      kmsCountedName: '00000000-0000-0000-0000-000000000002',
    });
  });
});
