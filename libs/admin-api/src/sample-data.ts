import { silentLogger } from '@kmsgrid/config';
import { APPLICATIONS, findHostKey, findKmsItem, findProductByName } from '@kmsgrid/kms-catalog';
import type { AdminDeps } from './context.js';
import { emptyRequestStats, LICENSE_STATES } from './license-states.js';
import type { ClientPage, ClientQuery, ClientRecord, LedgerApplication, LedgerStatus, PolicyStatus } from './schemas.js';

const NIL = '00000000-0000-0000-0000-000000000000';
const DAY = 86_400_000;

/** A deterministic pseudo-random sequence (LCG), so sample data is the same on every run. */
function sequence(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (next: () => number, n: number): string =>
  Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
const guid = (next: () => number): string => `${hex(next, 8)}-${hex(next, 4)}-4${hex(next, 3)}-a${hex(next, 3)}-${hex(next, 12)}`;

/**
 * Clients filtered and paged like cmid-ledger's `clients` query: filters ANDed,
 * newest `lastSeenAt` first, opaque cursor after the last row of a page.
 */
export function pageClients(all: readonly ClientRecord[], q: ClientQuery): ClientPage {
  const sorted = [...all].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt) || a.cmid.localeCompare(b.cmid));
  let after: { at: string; cmid: string } | undefined;
  if (q.cursor !== undefined) {
    const [at, cmid] = Buffer.from(q.cursor, 'base64url').toString('utf8').split('|');
    if (at === undefined || cmid === undefined) throw new Error('invalid cursor');
    after = { at, cmid };
  }
  const ws = q.workstation?.toLowerCase();
  const rows = sorted.filter(
    (c) =>
      (q.applicationId === undefined || c.applicationId === q.applicationId) &&
      (ws === undefined || c.workstationName.toLowerCase().startsWith(ws)) &&
      (q.address === undefined || c.clientAddress === q.address) &&
      (q.licenseStatus === undefined || c.licenseStatus === q.licenseStatus) &&
      (q.seenSince === undefined || c.lastSeenAt >= q.seenSince) &&
      (after === undefined || c.lastSeenAt < after.at || (c.lastSeenAt === after.at && c.cmid > after.cmid)),
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    clients: page,
    ...(rows.length > q.limit && last !== undefined && { nextCursor: Buffer.from(`${last.lastSeenAt}|${last.cmid}`).toString('base64url') }),
  };
}

/** The ledger's per-application status computed from client records (30-day window, cap 2 x highest N-policy). */
export function ledgerStatusOf(clients: readonly ClientRecord[], now: Date): LedgerStatus {
  const since = new Date(now.getTime() - 30 * DAY).toISOString();
  const applications: LedgerApplication[] = [];
  for (const app of APPLICATIONS) {
    const mine = clients.filter((c) => c.applicationId === app.id);
    if (mine.length === 0) continue;
    const accepted = mine.filter((c) => c.lastOutcome !== 'refused');
    const active = accepted.filter((c) => c.lastSeenAt >= since).length;
    const highest = Math.max(0, ...accepted.map((c) => c.nPolicy ?? 0));
    const requests = emptyRequestStats();
    for (const c of mine) {
      requests.total += c.requestCount;
      if (c.lastOutcome === 'refused') requests.failed += c.requestCount;
      const state = LICENSE_STATES[c.licenseStatus];
      if (state !== undefined) requests[state.stat] += c.requestCount;
    }
    applications.push({
      applicationId: app.id,
      name: app.name,
      activeClients: active,
      reportedCount: Math.min(active, 2 * highest),
      highestNPolicy: highest,
      lastRequestAt: mine.map((c) => c.lastSeenAt).sort().at(-1) ?? null,
      requests,
    });
  }
  return { at: now.toISOString(), applications };
}

export interface SampleData {
  readonly policy: PolicyStatus;
  readonly clients: readonly ClientRecord[];
}

/**
 * A plausible small site: Windows Server 2022 and Office LTSC 2021 host keys,
 * 13 Windows clients and 5 servers (servers activate, clients not yet), 3
 * Office clients (below 5), a few refused and stale machines.
 */
export function createSampleData(now: Date = new Date(), seed = 1688): SampleData {
  const next = sequence(seed);
  const hostKey = (id: string, epid: string, hwid: string): PolicyStatus['hostKeys'][number] => {
    const k = findHostKey(id);
    if (k === undefined) throw new Error(`catalog has no host key ${id}`);
    return {
      id: k.id,
      name: k.name,
      group: k.group,
      groupLabel: k.groupLabel,
      generation: k.generation,
      epid,
      hwid,
      identitySource: 'generated',
      coveredProducts: k.covers.map((kmsCountedId) => ({ kmsCountedId, name: findKmsItem(kmsCountedId)?.name ?? kmsCountedId })),
    };
  };
  const policy: PolicyStatus = {
    activationIntervalMinutes: 120,
    renewalIntervalMinutes: 10_080,
    clockToleranceMinutes: 240,
    hostKeys: [
      hostKey('windows-server-2022', '03612-04573-007-417400-03-1033-20348.0000-0732025', '3A1C5F0E9B2D4786'),
      hostKey('office-2021', '03612-00206-578-400000-03-1033-20348.0000-0732025', '3A1C5F0E9B2D4786'),
    ],
  };

  const product = (name: string) => {
    const m = findProductByName(name);
    if (m === undefined) throw new Error(`catalog has no product ${name}`);
    return m;
  };
  const clients: ClientRecord[] = [];
  const add = (name: string, workstation: string, o: { status?: number; refused?: number; ageDays?: number; vm?: boolean } = {}) => {
    const m = product(name);
    const lastSeen = new Date(now.getTime() - (o.ageDays ?? next() * 6) * DAY - Math.floor(next() * 3_600_000));
    const firstSeen = new Date(lastSeen.getTime() - Math.floor(next() * 90) * DAY);
    const requestCount = 1 + Math.floor(next() * 40);
    clients.push({
      applicationId: m.application.id,
      cmid: guid(next),
      firstSeenAt: firstSeen.toISOString(),
      lastSeenAt: lastSeen.toISOString(),
      workstationName: workstation,
      clientAddress: `10.20.${Math.floor(next() * 8)}.${10 + Math.floor(next() * 240)}`,
      kmsCountedId: m.kmsItem.id,
      skuId: m.sku.id,
      licenseStatus: o.status ?? 2,
      bindingExpirationMinutes: o.status === 1 ? 259_200 - Math.floor(next() * 10_000) : 43_200 - Math.floor(next() * 20_000),
      isVirtualMachine: o.vm ?? next() < 0.3,
      previousCmid: NIL,
      requestCount,
      lastOutcome: o.refused !== undefined ? 'refused' : requestCount > 1 ? 'renewed' : 'counted',
      nPolicy: m.kmsItem.nPolicy,
      lastHresult: o.refused ?? 0,
      protocolVersion: `${m.kmsItem.defaultProtocol}.0`,
    });
  };
  for (let i = 1; i <= 13; i++) add(i % 4 === 0 ? 'Windows 11 Pro' : 'Windows 11 Enterprise', `PC-FIN-${String(i).padStart(3, '0')}.corp.example`);
  for (let i = 1; i <= 5; i++) add(i % 2 ? 'Windows Server 2022 Datacenter' : 'Windows Server 2022 Standard', `SRV-APP-${String(i).padStart(2, '0')}.corp.example`, { status: 1 });
  for (let i = 1; i <= 3; i++) add('Office LTSC Professional Plus 2021', `PC-FIN-${String(i).padStart(3, '0')}.corp.example`, { status: i === 3 ? 5 : 2 });
  add('Windows Server 2025 Standard', 'SRV-NEW-01.corp.example', { refused: 0xc004f042, status: 2 });
  add('Office Professional Plus 2019', 'PC-LAB-07.corp.example', { refused: 0xc004f042, status: 0 });
  add('Windows 11 Enterprise', 'PC-OLD-042.corp.example', { ageDays: 41, status: 3 });
  return { policy, clients };
}

/**
 * AdminDeps over sample data, for tests, demos and the dashboard screenshot.
 * Each data source is a real in-memory implementation; override any field.
 */
export function sampleAdminDeps(overrides: Partial<AdminDeps> = {}, now: Date = new Date()): AdminDeps {
  const data = createSampleData(now);
  return {
    policyStatus: async () => data.policy,
    ledgerStatus: async () => ledgerStatusOf(data.clients, now),
    listClients: async (q) => pageClients(data.clients, q),
    host: { listen: ['0.0.0.0:1688', '[::]:1688'], version: '0.1.0', mode: 'all-in-one' },
    readiness: [],
    log: silentLogger,
    ...overrides,
  };
}
