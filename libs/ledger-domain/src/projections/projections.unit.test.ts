import { describe, expect, it } from 'vitest';
import { APPLICATIONS, COUNT_WINDOW_MS, LICENSE_STATUS, NO_APPLICATION_ID } from '../constants.js';
import { toRecordActivationRequest } from '../count-group.command.js';
import type { CountGroupEvent } from '../count-group.events.js';
import { restore, snapshot } from '../count-group.snapshot.js';
import { CountGroupHarness, day, givenEvents, guid, KMS_IDS, recordCommand, recordMessage } from '../testing/count-group.fixtures.js';
import { cmidRowToActiveCmid, cmidRowToClient, clientsProjection } from './clients.projection.js';
import type { ClientRow } from './clients.table.js';
import { countsProjection, thresholdStatus } from './counts.projection.js';
import type { CountGroupRow } from './counts.table.js';
import type { Projection } from './projection.js';
import { requestStatsProjection, requestStatsRowToStats } from './request-stats.projection.js';
import type { RequestStatsRow } from './request-stats.table.js';

/** Folds events into a keyed table, the way a projection worker would. */
function project<Row, Key>(p: Projection<Row, Key>, events: readonly CountGroupEvent[]): Map<string, Row> {
  const table = new Map<string, Row>();
  for (const e of events) {
    const key = p.keyOf(e);
    if (key === null) continue;
    const k = JSON.stringify(key);
    const next = p.evolve(table.get(k) ?? null, e);
    if (next !== null) table.set(k, next);
  }
  return table;
}

const SERVER = { nPolicy: 5, kmsCountedId: KMS_IDS.server2008r2C };
const A = guid(0xa);

describe('projection clients (the audit ledger)', () => {
  it('keeps first/last seen, the last facts, request counts and the last outcome of each CMID', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: A, licenseStatus: LICENSE_STATUS.oobGrace, workstationName: 'pc1', vmInfo: 1 }, day(0));
    ledger.record({ cmid: A, licenseStatus: LICENSE_STATUS.licensed, workstationName: 'pc1.corp' }, day(7));
    ledger.record({ cmid: A, refused: { hresult: 0xc004f06c, reason: 'time' } }, day(8));
    const rows = [...project(clientsProjection, ledger.events).values()];
    expect(rows).toHaveLength(1);
    const client = cmidRowToClient(rows[0] as ClientRow);
    expect(client).toMatchObject({
      applicationId: APPLICATIONS.windows,
      cmid: A,
      firstSeenAt: day(0),
      lastSeenAt: day(8),
      lastCountedAt: day(7),
      requestCount: 3,
      refusedCount: 1,
      lastOutcome: 'refused',
      lastHresult: 0xc004f06c,
      protocolVersion: '6.0',
      isVirtualMachine: false,
      bindingExpirationMinutes: 43200,
    });
  });

  it('keeps a CMID that left the window (every CMID ever seen stays)', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: A }, day(0));
    ledger.record({ cmid: guid(0xb) }, day(45));
    expect(project(clientsProjection, ledger.events).size).toBe(2);
  });

  it('a request without decoded body changes no client row', () => {
    const message = { ...recordMessage({ cmid: A }, day(0)), request: undefined, decision: { kind: 'refused' as const, hresult: 0x8007000d, reason: 'v' } };
    const { events } = givenEvents([]).when(toRecordActivationRequest(message, day(0)));
    expect(clientsProjection.keyOf(events[0] as CountGroupEvent)).toBeNull();
    expect(clientsProjection.evolve(null, events[0] as CountGroupEvent)).toBeNull();
  });

  it('the count window restored from clients rows of the last 30 days decides like the live state', () => {
    const ledger = new CountGroupHarness();
    for (let i = 0; i < 40; i++) ledger.record({ cmid: guid(i % 30), ...(i % 4 === 0 ? SERVER : {}) }, day(i * 1.5));
    ledger.record({ cmid: guid(77), refused: { hresult: 1, reason: 'x' } }, day(60));
    const now = day(61);
    const clients = [...project(clientsProjection, ledger.events).values()];
    const recent = clients.filter((r) => r.last_counted_at !== null && r.last_counted_at.getTime() > now.getTime() - COUNT_WINDOW_MS);
    const counts = project(countsProjection, ledger.events).get(JSON.stringify(APPLICATIONS.windows)) as CountGroupRow;
    const restored = restore({
      applicationId: APPLICATIONS.windows,
      highestNPolicy: counts.highest_n_policy ?? 0,
      clock: counts.updated_at,
      active: recent.map(cmidRowToActiveCmid).filter((a) => a !== null),
    });
    expect(snapshot(restored).active).toEqual(snapshot(ledger.state).active);
    for (const cmid of [guid(5), guid(29), guid(500)]) {
      const command = recordCommand({ cmid }, now);
      expect(givenEvents([], restored).when(command).events).toEqual(givenEvents([], ledger.state).when(command).events);
    }
  });
});

describe('projection count_groups', () => {
  it('tracks active clients, reported count, N-policies and the threshold status (4 servers + 1 Windows 7)', () => {
    const ledger = new CountGroupHarness();
    for (let i = 0; i < 4; i++) ledger.record({ cmid: guid(i), ...SERVER }, day(0));
    let row = project(countsProjection, ledger.events).get(JSON.stringify(APPLICATIONS.windows)) as CountGroupRow;
    expect(row).toMatchObject({ active_clients: 4, reported_count: 4, highest_n_policy: 5, lowest_n_policy: 5, threshold_status: 'below' });
    ledger.record({ cmid: guid(100), nPolicy: 25 }, day(1));
    row = project(countsProjection, ledger.events).get(JSON.stringify(APPLICATIONS.windows)) as CountGroupRow;
    expect(row).toMatchObject({ active_clients: 5, reported_count: 5, highest_n_policy: 25, lowest_n_policy: 5, threshold_status: 'partial', updated_at: day(1) });
  });

  it('threshold status: below, partial, met', () => {
    expect(thresholdStatus(0, null, null)).toBe('below');
    expect(thresholdStatus(4, 5, 25)).toBe('below');
    expect(thresholdStatus(5, 5, 25)).toBe('partial');
    expect(thresholdStatus(25, 5, 25)).toBe('met');
    expect(thresholdStatus(10, 5, 5)).toBe('met');
  });
});

describe('projection request_stats (slmgr /dlv)', () => {
  it('counts total, failed and per license status, per application', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: guid(1), licenseStatus: LICENSE_STATUS.oobGrace }, day(0));
    ledger.record({ cmid: guid(1), licenseStatus: LICENSE_STATUS.licensed }, day(7));
    ledger.record({ cmid: guid(2), licenseStatus: LICENSE_STATUS.notification, refused: { hresult: 0xc004f042, reason: 'x' } }, day(7));
    ledger.record({ cmid: guid(3), licenseStatus: 9 }, day(7));
    const office = new CountGroupHarness();
    office.record({ cmid: guid(1), applicationId: APPLICATIONS.office2013, licenseStatus: LICENSE_STATUS.extendedGrace }, day(0));
    const none = givenEvents([]).when(
      toRecordActivationRequest({ ...recordMessage({ cmid: A }, day(0)), request: undefined, decision: { kind: 'refused', hresult: 0x8007000d, reason: 'v' } }, day(0)),
    ).events;
    const table = project(requestStatsProjection, [...ledger.events, ...office.events, ...none]);
    const stats = (id: string) => requestStatsRowToStats(table.get(JSON.stringify(id)) as RequestStatsRow);
    expect(stats(APPLICATIONS.windows)).toEqual({ applicationId: APPLICATIONS.windows, total: 4, failed: 1, byLicenseStatus: [0, 1, 1, 0, 0, 1, 0] });
    expect(stats(APPLICATIONS.office2013).byLicenseStatus).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(stats(NO_APPLICATION_ID)).toMatchObject({ total: 1, failed: 1, byLicenseStatus: [0, 0, 0, 0, 0, 0, 0] });
  });

  it('never mutates the row it is given', () => {
    const ledger = new CountGroupHarness();
    ledger.record({ cmid: A }, day(0));
    ledger.record({ cmid: A }, day(1));
    const first = requestStatsProjection.evolve(null, ledger.events[0] as CountGroupEvent) as RequestStatsRow;
    const copy = structuredClone(first);
    requestStatsProjection.evolve(first, ledger.events[1] as CountGroupEvent);
    expect(first).toEqual(copy);
  });
});
