// The all-in-one's /metrics: the admin API's families plus its ledger's and its outbox relay's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHostPort } from '@kmsgrid/config';
import { postgresStorage, type HostStorage, type TestHost } from './testing/hosts.js';
import { askAll, machines } from './testing/machines.js';

let storage: HostStorage;
let h: TestHost;

beforeAll(async () => {
  storage = postgresStorage('metrics');
  h = await storage.start();
});
afterAll(async () => storage?.dispose());

/** One sample's value from Prometheus text (no labels). */
const sample = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('all-in-one /metrics', () => {
  it('shows the outbox relay: every recorded event passed on, the just-committed ones from memory', async () => {
    const answers = await askAll(h.target, machines('Windows 10 Enterprise', 6, 'metrics'));
    expect(answers.every((a) => a.status === 'activated')).toBe(true);
    const url = `http://${formatHostPort(h.host.httpAddress)}/metrics`;
    let text = '';
    const deadline = Date.now() + 5_000;
    // The relay passes run at most every 20 ms after a commit.
    while (Date.now() < deadline) {
      text = await (await fetch(url)).text();
      if ((sample(text, 'kmsgrid_outbox_relay_published_total') ?? 0) >= 6) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sample(text, 'kmsgrid_outbox_relay_running')).toBe(1);
    expect(sample(text, 'kmsgrid_outbox_relay_published_total')).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'kmsgrid_outbox_relay_passes_from_memory_total')).toBeGreaterThan(0);
    expect(sample(text, 'kmsgrid_outbox_relay_consecutive_failures')).toBe(0);
    expect(text).toContain('# TYPE kmsgrid_count gauge');
  });

  it('shows the ledger: the writer, its group commits and what they recorded', async () => {
    const answers = await askAll(h.target, machines('Windows 10 Enterprise', 3, 'ledger-metrics'));
    expect(answers.every((a) => a.status === 'activated')).toBe(true);
    const text = await (await fetch(`http://${formatHostPort(h.host.httpAddress)}/metrics`)).text();
    const stats = h.host.ledger.stats();
    expect(sample(text, 'kmsgrid_ledger_leader')).toBe(1);
    expect(sample(text, 'kmsgrid_ledger_recorded_total')).toBe(stats.recorded);
    expect(stats.recorded).toBeGreaterThanOrEqual(9); // both tests' activations
    expect(sample(text, 'kmsgrid_ledger_batches_total')).toBeGreaterThan(0);
    expect(sample(text, 'kmsgrid_ledger_events_total')).toBeGreaterThanOrEqual(stats.recorded);
    expect(sample(text, 'kmsgrid_ledger_failed_batches_total')).toBe(0);
    expect(sample(text, 'kmsgrid_ledger_pending')).toBe(0);
    expect(text).toContain('# TYPE kmsgrid_ledger_batches_total counter');
  });
});
