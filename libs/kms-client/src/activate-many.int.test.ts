import { afterEach, describe, expect, it } from 'vitest';
import { activateMany } from './activate-many.js';
import { startTestHost, type TestHost } from './testing/test-host.js';

let hosts: TestHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

describe('activateMany', () => {
  it('runs different products and targets side by side, results in input order', async () => {
    const a = await startTestHost();
    const b = await startTestHost({ answer: () => ({ kind: 'hresult', hresult: 0xc004f042 }) });
    hosts.push(a, b);
    const rs = await activateMany(
      [
        { target: `127.0.0.1:${a.port}`, product: 'Windows 10 Enterprise', requests: 2 },
        { target: `127.0.0.1:${b.port}`, product: 'Office Professional Plus 2019' },
        `127.0.0.1:${a.port}`,
        { target: 'no-port-here:x' },
      ],
      { concurrency: 2 },
    );
    expect(rs.map((r) => r.exitCode)).toEqual([0, 1, 0, 2]);
    expect(rs.map((r) => r.target)).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${a.port}`, 'no-port-here:x']);
    expect(rs[0]!.totals.activated).toBe(2);
    expect(rs[1]!.failure).toMatchObject({ kind: 'hresult', hresult: 0xc004f042 });
    expect(a.requests).toHaveLength(3);
    expect(b.requests).toHaveLength(1);
  });

  it('keeps at most `concurrency` runs in flight', async () => {
    // A host that never answers: each run holds its connection until its timeout.
    const h = await startTestHost({ answer: () => ({ kind: 'silence' }) });
    hosts.push(h);
    const until = async (cond: () => boolean) => {
      while (!cond()) await new Promise((r) => setTimeout(r, 10));
    };
    const runs = Array.from({ length: 5 }, () => ({ target: `127.0.0.1:${h.port}`, timeoutMs: 1000 }));
    const all = activateMany(runs, { concurrency: 2 });
    await until(() => h.requests.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.connections()).toBe(2); // the third run waits for a free slot
    const rs = await all;
    expect(rs.map((r) => r.failure?.kind)).toEqual(['timeout', 'timeout', 'timeout', 'timeout', 'timeout']);
    expect(h.connections()).toBe(5);
  });

  it('returns nothing for no runs', async () => {
    expect(await activateMany([])).toEqual([]);
  });
});
