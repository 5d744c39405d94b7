import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@kmsgrid/config';
import { startHealthServer, type HealthServer } from './index.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = async (path: string) => {
  const r = await fetch(`http://127.0.0.1:${server!.address.port}${path}`);
  return { status: r.status, body: await r.text() };
};

describe('health server', () => {
  it('answers liveness, readiness and metrics', async () => {
    let dbUp = true;
    server = await startHealthServer({
      listen: { host: '127.0.0.1', port: 0 },
      log: silentLogger,
      readiness: [{ name: 'postgres', check: async () => { if (!dbUp) throw new Error('down'); } }],
      metrics: () => 'kmsgrid_up 1\n',
    });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    dbUp = false;
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).failed).toEqual(['postgres']);
    expect(await get('/metrics')).toEqual({ status: 200, body: 'kmsgrid_up 1\n' });
    expect((await get('/nope')).status).toBe(404);
  });

  it('fails a readiness check that hangs', async () => {
    server = await startHealthServer({
      listen: { host: '127.0.0.1', port: 0 },
      log: silentLogger,
      readiness: [{ name: 'nats', check: () => new Promise(() => {}) }],
      checkTimeoutMs: 100,
    });
    expect((await get('/readyz')).status).toBe(503);
  });
});
