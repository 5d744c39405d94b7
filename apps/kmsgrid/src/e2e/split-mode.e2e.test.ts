// Split mode: the built services as processes on real NATS + Postgres (a schema
// of its own): two kms-ingress replicas, one activation-policy, one cmid-ledger.
// The Table 1 "4 + 22" scenario spread over both ingress ports gives the same
// counts as the all-in-one; the ledger survives kill -9 and a restart; a
// killed ingress costs only its own connections; SIGTERM of an ingress drains.
//
// The subjects (kmsgrid.policy.v1.decide, kmsgrid.ledger.v1.record) are fixed by
// the contracts: nothing else may serve them on this NATS while the test runs.
import { connect as tcpConnect } from 'node:net';
import { connect as natsConnect, type NatsConnection, type Subscription } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_QUERY_SUBJECTS, SUBJECTS, ledgerStatusReplyCodec, ledgerStatusRequestCodec, type LedgerStatusReply } from '@kmsgrid/contracts';
import { createNatsTransport, createRpcClient } from '@kmsgrid/transport';
import { postgresStorage, type HostStorage } from './testing/hosts.js';
import { activates, ask, askAll, describeAnswers, machines, type Answer, type Machine } from './testing/machines.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from './testing/postgres.js';
import { buildBundles, killAllSpawned, portOf, spawnBundle, type ServiceProcess } from './testing/processes.js';
import { RawConnection, kmsRequestPayload, verifyAnswer } from './testing/raw-connection.js';
import { TABLE1_CLIENT, TABLE1_SERVER, WINDOWS_APP_ID } from './testing/table1.js';

const NATS_URL = process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const SERVER = TABLE1_SERVER;
const CLIENT = TABLE1_CLIENT;

const schema = uniqueSchema('split');
const env = (instance: string, extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL: TEST_DATABASE_URL,
  NATS_URL,
  KMSGRID_DB_SCHEMA: schema,
  KMSGRID_HTTP_LISTEN: '127.0.0.1:0',
  KMSGRID_INSTANCE_ID: instance,
  ...extra,
});

const isMsg = (msg: string) => (l: { msg?: string }) => l.msg === msg;

async function startLedger(instance: string): Promise<ServiceProcess> {
  const p = spawnBundle('apps/cmid-ledger', env(instance), [], instance);
  await p.waitForLog(isMsg('elected ledger writer'));
  return p;
}

async function startIngress(instance: string): Promise<{ proc: ServiceProcess; port: number; healthPort: number }> {
  const proc = spawnBundle('apps/kms-ingress', env(instance, { KMSGRID_LISTEN: '127.0.0.1:0' }), [], instance);
  const port = portOf(await proc.waitForLog(isMsg('KMS listener up')));
  const healthPort = portOf(await proc.waitForLog(isMsg('health endpoints up')));
  return { proc, port, healthPort };
}

/** True when nothing listens on the port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

let nc: NatsConnection;
let ledger: ServiceProcess;
let policy: ServiceProcess;
let ingressA: Awaited<ReturnType<typeof startIngress>>;
let ingressB: Awaited<ReturnType<typeof startIngress>>;

beforeAll(async () => {
  buildBundles('kms-ingress', 'activation-policy', 'cmid-ledger');
  nc = await natsConnect({ servers: NATS_URL, name: 'kmsgrid-e2e split test' });
  ledger = await startLedger('ledger-1');
  policy = spawnBundle('apps/activation-policy', env('policy-1'), [], 'policy-1');
  await policy.waitForLog(isMsg('activation policy serving'));
  [ingressA, ingressB] = await Promise.all([startIngress('ingress-a'), startIngress('ingress-b')]);
}, 120_000);

afterAll(async () => {
  await killAllSpawned();
  await nc?.close();
  await dropSchema(schema);
});

async function ledgerStatus(): Promise<LedgerStatusReply> {
  const client = createRpcClient(createNatsTransport(nc, { ownsConnection: false }));
  return client.call({ subject: LEDGER_QUERY_SUBJECTS.status, request: ledgerStatusRequestCodec, reply: ledgerStatusReplyCodec, timeoutMs: 5000 }, {});
}

const windowsOf = (s: LedgerStatusReply) => s.applications.find((a) => a.applicationId === WINDOWS_APP_ID);
const sortedCounts = (xs: readonly Answer[]) => xs.map((a) => a.count ?? -1).sort((a, b) => a - b);

describe('split mode: 2 x kms-ingress, activation-policy, cmid-ledger on NATS + Postgres', () => {
  const servers = machines(SERVER, 4, 'split-srv');
  const clients = machines(CLIENT, 22, 'split-pc');
  const all: Machine[] = [...servers, ...clients];
  const targetOf = (i: number) => `127.0.0.1:${i % 2 === 0 ? ingressA.port : ingressB.port}`;
  let first: Answer[] = [];

  it('Table 1 "4 + 22", first round over both ingress ports: each new machine raises the count by one', async () => {
    first = await askAll(targetOf, all, { concurrency: 4 });
    expect(first.filter((a) => a.status !== 'activated'), describeAnswers(first)).toEqual([]);
    expect(sortedCounts(first)).toEqual(all.map((_, i) => i + 1));
  }, 60_000);

  it('kill -9 of the ledger: requests get no answer (closed), nothing is counted; a new ledger takes over with every count', async () => {
    expect((await ledger.kill()).signal).toBe('SIGKILL');
    const probe = await ask(targetOf(0), machines(CLIENT, 1, 'while-down')[0] as Machine);
    // ADR 0003: policy or ledger unavailable -> the ingress closes without an answer.
    expect(probe, describeAnswers([probe])).toMatchObject({ status: 'error' });
    expect(probe.outcome?.failure?.kind).toBe('closed');
    ledger = await startLedger('ledger-2');
    expect(windowsOf(await ledgerStatus())).toMatchObject({ activeClients: 26, reportedCount: 26 });
  }, 60_000);

  it('the retry round after the restart: 26 for every machine, servers and clients activate, as in the all-in-one', async () => {
    const retry = await askAll((i) => targetOf(i + 1), all, { concurrency: 4 });
    expect(retry.filter((a) => a.status !== 'activated'), describeAnswers(retry)).toEqual([]);
    expect(retry.map((a) => a.count)).toEqual(all.map(() => 26));
    expect(retry.every(activates)).toBe(true);
    const split = windowsOf(await ledgerStatus());

    // The same machines against the all-in-one (fresh schema): the same answers and the same ledger state.
    const storage: HostStorage = postgresStorage('split-ref');
    try {
      const { target, host } = await storage.start();
      const refFirst = await askAll(target, all, { concurrency: 4 });
      const refRetry = await askAll(target, all, { concurrency: 4 });
      expect(sortedCounts(first)).toEqual(sortedCounts(refFirst));
      expect(retry.map((a) => a.count)).toEqual(refRetry.map((a) => a.count));
      const ref = windowsOf(await host.ledger.status());
      const pick = (s: typeof ref) => s && { activeClients: s.activeClients, reportedCount: s.reportedCount, highestNPolicy: s.highestNPolicy, lowestNPolicy: s.lowestNPolicy, thresholdStatus: s.thresholdStatus };
      expect(pick(split)).toEqual(pick(ref));
      // Equal totals: the probe sent while the ledger was down left no record.
      expect(split?.requests.total).toBe(ref?.requests.total);
    } finally {
      await storage.dispose();
    }
  }, 90_000);

  it('kill -9 of one ingress: its port is gone, the other replica keeps serving', async () => {
    expect((await ingressB.proc.kill()).signal).toBe('SIGKILL');
    expect(await refused(ingressB.port)).toBe(true);
    const more = await askAll(`127.0.0.1:${ingressA.port}`, all.slice(0, 4), { concurrency: 2 });
    expect(more.map((a) => a.count), describeAnswers(more)).toEqual([26, 26, 26, 26]);
  }, 60_000);

  it('SIGTERM of an ingress drains: the answer in flight is delivered, new connections are refused, exit 0', async () => {
    const decideSpy: Subscription = nc.subscribe(SUBJECTS.policyDecide, { max: 1 });
    const decideSeen = (async () => {
      for await (const _m of decideSpy) return true;
      return false;
    })();
    await nc.flush();
    const c = await RawConnection.open(ingressA.port);
    try {
      await c.bind();
      // Hold the answer: the policy is stopped while the request is in flight.
      policy.signal('SIGSTOP');
      const request = kmsRequestPayload({ product: CLIENT, workstation: 'in-flight.e2e.test' });
      const answer = c.call(request.bytes, 30_000);
      expect(await decideSeen).toBe(true); // the ingress has asked the policy
      ingressA.proc.signal('SIGTERM');
      // Draining: the listener closes first.
      const deadline = Date.now() + 10_000;
      while (!(await refused(ingressA.port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await refused(ingressA.port)).toBe(true);
      policy.signal('SIGCONT');
      const response = verifyAnswer(await answer, request.context);
      expect(response.cmid).toBe(request.request.cmid);
      expect(response.count).toBe(27);
      expect(await ingressA.proc.exited).toEqual({ code: 0, signal: null });
    } finally {
      policy.signal('SIGCONT');
      c.destroy();
    }
  }, 60_000);

  it('SIGTERM of the policy and the ledger: both drain and exit 0', async () => {
    policy.signal('SIGTERM');
    ledger.signal('SIGTERM');
    expect(await policy.exited).toEqual({ code: 0, signal: null });
    expect(await ledger.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
