import { buildStatusView, createSampleData, LICENSE_STATES, ledgerStatusOf, pageClients, toClientView, type ClientsView } from '@kmsgrid/admin-api';
import { describe, expect, it } from 'vitest';
import { formatClients, formatDlv, formatHealth, LICENSE_LABELS, remaining } from './format.js';

const NOW = new Date('2026-05-04T12:00:00.000Z');
const data = createSampleData(NOW);
const status = buildStatusView({
  policy: data.policy,
  ledger: ledgerStatusOf(data.clients, NOW),
  host: { listen: ['0.0.0.0:1688', '[::]:1688'], version: '0.1.0', mode: 'all-in-one' },
  startedAt: NOW,
  now: NOW,
});

describe('formatDlv', () => {
  const text = formatDlv(status, 'http://127.0.0.1:8080');
  const lines = text.split('\n');

  it('prints each host key like slmgr /dlv', () => {
    expect(lines[0]).toBe('kmsgrid 0.1.0 (all-in-one) at http://127.0.0.1:8080, 2026-05-04 12:00 UTC');
    expect(lines).toContain('Name: Windows Server 2022');
    expect(lines).toContain('Description: Volume License for Windows Server 2022, VOLUME_KMS channel (host key windows-server-2022)');
    expect(lines).toContain('KMS machine Extended PID: 03612-04573-007-417400-03-1033-20348.0000-0732025');
    expect(lines).toContain('KMS machine Hardware ID: 3A1C5F0E9B2D4786');
  });

  it('prints the service block and per application the count, thresholds and cumulative requests', () => {
    expect(lines).toContain('Key Management Service is enabled on this machine');
    expect(lines).toContain('    Listening on Port: 1688');
    expect(lines).toContain('    Activation Interval: 120 minutes (2 hours)');
    expect(lines).toContain('    Renewal Interval: 10080 minutes (7 days)');
    const win = lines.indexOf('Windows (Application ID 55c92734-d682-4d71-983e-d6ec3f16059f)');
    expect(lines.slice(win + 1, win + 6)).toEqual([
      '    Current count: 18',
      '    Count cap: 50 (2 x highest N-policy 25)',
      '    Active clients in the last 30 days: 18',
      '    Windows Server (N-policy 5): activate',
      '    Windows client (N-policy 25): do not activate, 7 more clients needed',
    ]);
    const windows = status.applications[0]!;
    expect(lines).toContain(`        Total requests received: ${windows.requests.total}`);
    expect(lines).toContain(`        Requests with License Status Licensed: ${windows.requests.licensed}`);
    expect(text).toContain('Office (N-policy 5): do not activate, 2 more clients needed');
    expect(text).not.toContain('DNS publishing');
  });

  it('keeps the license labels equal to the admin API table', () => {
    expect(LICENSE_LABELS).toEqual(LICENSE_STATES.map((s) => [s.stat, s.label]));
  });
});

describe('formatClients', () => {
  const view: ClientsView = { clients: pageClients(data.clients, { limit: 3 }).clients.map(toClientView), nextCursor: 'abc' };
  it('prints an aligned table and how to get the next page', () => {
    const lines = formatClients(view, false).split('\n');
    expect(lines[0]).toMatch(/^LAST SEEN +WORKSTATION +PRODUCT +LICENSE STATUS +REMAINING +ADDRESS +VM +REQS +OUTCOME$/);
    expect(lines).toHaveLength(6);
    const col = lines[0]!.indexOf('WORKSTATION');
    for (const l of lines.slice(1, 4)) expect(l[col - 1]).toBe(' ');
    expect(lines.at(-1)).toBe('3 clients (times UTC); more with --cursor abc');
  });
  it('adds CMID and application with --wide, and says when nothing matches', () => {
    expect(formatClients(view, true).split('\n')[1]).toContain(view.clients[0]!.cmid);
    expect(formatClients({ clients: [], nextCursor: null }, false)).toBe('No clients match.');
  });
  it('formats remaining time', () => {
    expect([remaining(42), remaining(310), remaining(43_200)]).toEqual(['42m', '5h 10m', '30d 0h']);
  });
});

describe('formatHealth', () => {
  it('names failing checks', () => {
    expect(
      formatHealth(true, {
        status: 'not-ready',
        code: 'KMSG_ERR_ADMIN_NOT_READY',
        failing: ['nats'],
        checks: [
          { name: 'postgres', ok: true, ms: 2 },
          { name: 'nats', ok: false, ms: 2000, error: 'no answer within 2000 ms' },
        ],
      }),
    ).toBe('Live: yes\nReady: no (nats)\n    postgres: ok (2 ms)\n    nats: FAILED: no answer within 2000 ms (2000 ms)');
  });
});
