import { describe, expect, it } from 'vitest';
import { ledgerClientsReplyCodec, ledgerClientsRequestCodec, ledgerStatusReplyCodec } from '@kmsgrid/contracts';
import { APPLICATIONS } from '@kmsgrid/ledger-domain';
import { LedgerServiceError } from './errors.js';
import { clientToDto, decodeCursor, encodeCursor } from './queries.js';
import { writerLockKey } from './writer-lock.js';

describe('clients cursor', () => {
  it('round-trips the keyset position', () => {
    const c = { lastSeenAt: new Date('2026-03-04T05:06:07.089Z'), applicationId: APPLICATIONS.office2013, cmid: '00000001-c0de-4000-8000-000000000000' };
    const s = encodeCursor(c);
    expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(s)).toEqual(c);
  });

  it.each(['', 'bm9wZQ', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('["x","a","b"]').toString('base64url'), Buffer.from(`["2026-01-01T00:00:00.000Z","${APPLICATIONS.windows}","nope"]`).toString('base64url')])(
    'rejects a cursor it did not issue (%s)',
    (s) => {
      expect(() => decodeCursor(s)).toThrow(LedgerServiceError);
      expect(() => decodeCursor(s)).toThrow(/KMSG_ERR_LEDGER_BAD_CURSOR/);
    },
  );
});

describe('query contracts', () => {
  it('a client DTO passes the wire schema', () => {
    const dto = clientToDto({
      applicationId: APPLICATIONS.windows,
      cmid: '00000001-c0de-4000-8000-000000000000',
      firstSeenAt: new Date('2026-01-01T00:00:00.000Z'),
      lastSeenAt: new Date('2026-01-02T00:00:00.000Z'),
      lastCountedAt: null,
      workstationName: 'pc1',
      clientAddress: '192.0.2.1',
      kmsCountedId: '7fde5219-fbfa-484a-82c9-34d1ad53e856',
      skuId: 'ae2ee509-1b34-41c0-acb7-6d4650168915',
      licenseStatus: 5,
      bindingExpirationMinutes: 0xffffffff,
      isVirtualMachine: true,
      previousCmid: '00000000-0000-0000-0000-000000000000',
      nPolicy: 25,
      protocolVersion: '6.0',
      rpcSyntax: 'ndr32',
      requestCount: 3,
      refusedCount: 3,
      lastOutcome: 'refused',
      lastHresult: 0xc004f042,
      lastReportedCount: 0,
      lastRequestId: '00000002-c0de-4000-8000-000000000000',
    });
    expect(ledgerClientsReplyCodec.check({ clients: [dto] }).clients[0]).toEqual(dto);
  });

  it('limits pages to 500 and checks the filters', () => {
    expect(() => ledgerClientsRequestCodec.check({ limit: 501 })).toThrow(/LedgerClientsRequest/);
    expect(() => ledgerClientsRequestCodec.check({ seenSince: 'yesterday' })).toThrow();
    expect(() => ledgerClientsRequestCodec.check({ applicationId: 'WINDOWS' })).toThrow();
    expect(ledgerClientsRequestCodec.check({ limit: 500, workstation: 'pc', seenSince: '2026-01-01T00:00:00Z' })).toBeDefined();
    expect(() => ledgerStatusReplyCodec.check({ at: '2026-01-01T00:00:00.000Z', applications: [{ applicationId: APPLICATIONS.windows }] })).toThrow();
  });
});

describe('writer lock key', () => {
  it('differs per schema and fits two int4', () => {
    const [c1, o1] = writerLockKey('kmsgrid');
    const [c2, o2] = writerLockKey('kmsgrid_test');
    expect(c1).toBe(c2);
    expect(o1).not.toBe(o2);
    for (const v of [c1, o1, o2]) expect(v >= -(2 ** 31) && v < 2 ** 31 && Number.isInteger(v)).toBe(true);
  });
});
