import { APPLICATIONS } from '@kmsgrid/kms-catalog';
import { describe, expect, it } from 'vitest';
import { emptyRequestStats } from './license-states.js';
import type { LedgerApplication, PolicyStatus } from './schemas.js';
import { buildStatusView, catalogThresholds } from './status-view.js';

const NOW = new Date('2026-05-04T12:00:00.000Z');
const host = { listen: ['0.0.0.0:1688'], version: '1.2.3', mode: 'split' as const };
const policy = (hostKeys: PolicyStatus['hostKeys'] = []): PolicyStatus => ({
  activationIntervalMinutes: 120,
  renewalIntervalMinutes: 10_080,
  clockToleranceMinutes: null,
  hostKeys,
});
const ledgerApp = (applicationId: string, count: number, highest: number, total = 10): LedgerApplication => ({
  applicationId,
  name: 'from ledger',
  activeClients: count,
  reportedCount: count,
  highestNPolicy: highest,
  requests: { ...emptyRequestStats(), total, licensed: total },
});
const view = (apps: LedgerApplication[], hostKeys: PolicyStatus['hostKeys'] = []) =>
  buildStatusView({ policy: policy(hostKeys), ledger: { at: NOW.toISOString(), applications: apps }, host, startedAt: new Date(NOW.getTime() - 90_000), now: NOW });

describe('catalogThresholds', () => {
  it('gives Windows 5 (server) and 25 (client), Office 5 (kms-facts.md section 1)', () => {
    expect(APPLICATIONS.map((a) => [a.kind, catalogThresholds(a)])).toEqual([
      ['windows', [{ nPolicy: 5, label: 'Windows Server' }, { nPolicy: 25, label: 'Windows client' }]],
      ['office-2010', [{ nPolicy: 5, label: 'Office' }]],
      ['office', [{ nPolicy: 5, label: 'Office' }]],
    ]);
  });
});

describe('buildStatusView', () => {
  const windows = APPLICATIONS[0]!.id;
  it.each([
    [0, 0, 0, 'idle', null],
    [4, 25, 10, 'below', 50],
    [5, 5, 10, 'partial', 10],
    [25, 25, 10, 'met', 50],
    [50, 25, 10, 'met', 50],
  ] as const)('count %i with highest N-policy %i is %s (cap %s)', (count, highest, total, status, cap) => {
    const app = view([ledgerApp(windows, count, highest, count === 0 ? 0 : total)]).applications[0]!;
    expect(app.status).toBe(status);
    expect(app.cap).toBe(cap);
    expect(app.maxCount).toBe(50);
    expect(app.thresholds.map((t) => t.activates)).toEqual([count >= 5, count >= 25]);
  });

  it('lists a covered application the ledger has not seen yet as idle with zero counts', () => {
    const s = view([], [
      { id: 'office-2021', name: 'Office LTSC 2021', group: 'office', generation: 5, epid: null, hwid: null, identitySource: 'pending', coveredProducts: [{ kmsCountedId: '86D50B16-4808-41AF-B83B-B338274318B2' }] },
    ]);
    expect(s.applications).toHaveLength(1);
    expect(s.applications[0]).toMatchObject({ name: 'Office 2013 and later', status: 'idle', currentCount: 0, hostKeyIds: ['office-2021'] });
    expect(s.hostKeys[0]).toMatchObject({ groupLabel: 'Office LTSC 2021 KMS host', epid: null, coveredProducts: [{ kmsCountedId: '86d50b16-4808-41af-b83b-b338274318b2', name: 'Office LTSC 2021' }] });
  });

  it('keeps applications the catalog does not know, with the threshold the ledger saw', () => {
    const unknown = '11111111-2222-3333-4444-555555555555';
    const s = view([ledgerApp(unknown, 3, 5)]);
    expect(s.applications[0]).toMatchObject({ applicationId: unknown, name: 'from ledger', maxCount: 10, thresholds: [{ nPolicy: 5, label: 'clients', activates: false, missing: 2 }] });
  });

  it('sums totals and reports uptime', () => {
    const s = view([ledgerApp(windows, 30, 25, 7), ledgerApp(APPLICATIONS[2]!.id, 6, 5, 3)]);
    expect(s.totals).toMatchObject({ activeClients: 36, requests: { total: 10, licensed: 10 } });
    expect(s.host.uptimeSeconds).toBe(90);
    expect(s.applications.map((a) => a.name)).toEqual(['Windows', 'Office 2013 and later']);
  });
});

describe('host keys as activation-policy reports them (kmsgrid.policy.v1.status)', () => {
  it('takes covered products from the catalog when only their number is given, and shows split sources as mixed', () => {
    const s = buildStatusView({
      policy: policy([
        {
          id: 'windows-server-2019',
          name: 'Windows Server 2019',
          group: 'server',
          generation: 7,
          epid: '03612-00206-556-123727-03-1033-17763.0000-2972018',
          hwid: '3a1c5f0e9b2d4786',
          identitySource: 'configured',
          hwidSource: 'generated',
          coveredProducts: 18,
        },
      ]),
      ledger: { at: NOW.toISOString(), applications: [] },
      host,
      startedAt: NOW,
      now: NOW,
    });
    const k = s.hostKeys[0]!;
    expect(k.identitySource).toBe('mixed');
    expect(k.hwid).toBe('3A1C5F0E9B2D4786');
    expect(k.coveredProducts).toHaveLength(18);
    expect(k.coveredProducts[0]).toEqual({ kmsCountedId: '8449b1fb-f0ea-497a-99ab-66ca96e9a0f5', name: 'Windows Server 2019' });
  });
});
