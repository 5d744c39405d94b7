// The policy service's behaviour over a transport, run by the unit tier
// (in-process transport, operator-configured identities: no I/O) and the int
// tier (real NATS, identities generated in real Postgres).
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { ATTR, SPAN, getTracer, startTelemetry, withCorrelationId, withSpan, type TelemetryHandle } from '@kmsgrid/telemetry';
import { CORRELATION_ID_HEADER } from '@kmsgrid/telemetry';
import { PolicyServiceError, type PolicyConfig } from '@kmsgrid/policy-domain';
import { RemoteHandlerError, type Transport } from '@kmsgrid/transport';
import type { PolicyDecideRequest } from '@kmsgrid/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HostKeyIdentityStore } from '../host-key-identity.store.js';
import { createPolicyService } from '../policy.service.js';
import { DEFAULT_POLICY_SUBJECTS, createLedgerClient, createPolicyClient, servePolicy, type PolicyClient, type PolicySubjects } from '../policy.rpc.js';
import { NOW, OFFICE_2019, TestLedger, WINDOWS_11_LTSC_2024, WINDOWS_SERVER_2019, fileTime, requestFor, sleep, uniqueSubjects } from './fixtures.js';

export interface PolicySuiteTier {
  /** Three transports that reach each other: the policy's, the ledger stand-in's and the caller's. */
  transports(): Promise<{ readonly policy: Transport; readonly ledger: Transport; readonly caller: Transport }>;
  /** Configuration (host keys windows-server-2019 and office-2019) and its identities, already loaded. */
  identities(): Promise<{ readonly config: PolicyConfig; readonly identities: HostKeyIdentityStore }>;
  /** Shared servers (NATS) need subjects of their own; an isolated bus uses the real ones. */
  readonly isolatedSubjects: boolean;
}

const LEDGER_TIMEOUT_MS = 1000;

async function eventually(check: () => void, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(10);
    }
  }
}

const refusals: readonly (readonly [string, () => PolicyDecideRequest, number])[] = [
  ['an unknown protocol version (0x8007000D)', () => ({ ...requestFor(WINDOWS_SERVER_2019), version: { major: 3, minor: 0 }, request: undefined }), 0x8007000d],
  ['a product no host key covers (0xC004F042)', () => requestFor(WINDOWS_11_LTSC_2024), 0xc004f042],
  [
    'a client clock 5 hours ahead (0xC004F06C)',
    () => requestFor(WINDOWS_SERVER_2019, { clientTime: (fileTime(NOW) + 5n * 60n * 600_000_000n).toString() }),
    0xc004f06c,
  ],
];

export function policyServiceSuite(name: string, tier: PolicySuiteTier): void {
  describe(`policy service over ${name}`, () => {
    const exporter = new InMemorySpanExporter();
    let telemetry: TelemetryHandle;
    let config: PolicyConfig;
    let identities: HostKeyIdentityStore;
    let transports: Awaited<ReturnType<PolicySuiteTier['transports']>>;
    let subjects: PolicySubjects;
    let ledger: TestLedger;
    let policy: PolicyClient;
    let log: string[];

    beforeAll(async () => {
      telemetry = startTelemetry({ serviceName: 'policy-service-test', exporter, env: {} });
      ({ config, identities } = await tier.identities());
    });
    afterAll(async () => {
      await telemetry.shutdown();
    });

    beforeEach(async () => {
      exporter.reset();
      log = [];
      subjects = tier.isolatedSubjects ? uniqueSubjects('policy') : DEFAULT_POLICY_SUBJECTS;
      transports = await tier.transports();
      ledger = new TestLedger(transports.ledger, subjects.ledgerRecord, log);
      const service = createPolicyService({
        config,
        identities,
        ledger: createLedgerClient(transports.policy, { timeoutMs: LEDGER_TIMEOUT_MS, subject: subjects.ledgerRecord }),
        clock: () => NOW,
      });
      servePolicy(transports.policy, service, { subjects });
      await Promise.all([transports.policy.flush(), transports.ledger.flush()]);
      policy = createPolicyClient(transports.caller, { timeoutMs: 5000, subjects });
    });
    afterEach(async () => {
      await ledger.stop();
      await Promise.all([transports.caller.close(), transports.policy.close(), transports.ledger.close()]);
    });

    const decide = async (request: PolicyDecideRequest) => {
      try {
        const reply = await policy.decide(request);
        log.push(`caller:reply:${reply.kind}`);
        return reply;
      } catch (err) {
        log.push('caller:error');
        throw err;
      }
    };

    it('activates with the ledger count and the covering host key identity, counted under that key', async () => {
      ledger.behaviour = { kind: 'reply', count: 37 };
      const request = requestFor(WINDOWS_SERVER_2019);
      const reply = await decide(request);
      const identity = identities.get('windows-server-2019')!;
      expect(reply).toEqual({
        kind: 'activate',
        epid: identity.epid,
        hwid: identity.hwid,
        count: 37,
        activationInterval: config.activationInterval,
        renewalInterval: config.renewalInterval,
      });
      expect(ledger.received).toEqual([{ ...request, decision: { kind: 'count', hostKeyId: 'windows-server-2019' } }]);
      expect(log).toEqual(['ledger:received:count', 'ledger:recorded:count', 'caller:reply:activate']);

      const office = await decide(requestFor(OFFICE_2019));
      expect(office).toMatchObject({ kind: 'activate', epid: identities.get('office-2019')!.epid, count: 37 });
      expect(ledger.received[1]?.decision).toEqual({ kind: 'count', hostKeyId: 'office-2019' });
    });

    it('answers an activation only after the ledger has recorded it', async () => {
      ledger.hold();
      const pending = decide(requestFor(WINDOWS_SERVER_2019));
      await eventually(() => expect(ledger.received).toHaveLength(1));
      await sleep(100);
      expect(log).toEqual(['ledger:received:count']);
      ledger.release();
      await expect(pending).resolves.toMatchObject({ kind: 'activate', count: 37 });
      expect(log).toEqual(['ledger:received:count', 'ledger:recorded:count', 'caller:reply:activate']);
    });

    it.each(refusals)('records %s through the ledger before answering the refusal', async (_label, make, hresult) => {
      const request = make();
      ledger.hold();
      const pending = decide(request);
      await eventually(() => expect(ledger.received).toHaveLength(1));
      await sleep(100);
      expect(log).toEqual(['ledger:received:refused']);
      ledger.release();
      const reply = await pending;
      expect(reply).toMatchObject({ kind: 'refuse', hresult });
      expect(log).toEqual(['ledger:received:refused', 'ledger:recorded:refused', 'caller:reply:refuse']);
      const recorded = ledger.received[0]!;
      expect(recorded.decision).toEqual({ kind: 'refused', hresult, reason: reply.kind === 'refuse' ? reply.reason : '' });
      expect(recorded.origin).toEqual(request.origin);
      expect(recorded.version).toEqual(request.version);
      expect(recorded.request).toEqual(request.request);
    });

    it('gives the caller an error, not an answer, when the ledger times out', async () => {
      ledger.behaviour = { kind: 'hang' };
      const started = Date.now();
      const err = await decide(requestFor(WINDOWS_SERVER_2019)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyServiceError);
      expect(err).toMatchObject({ code: 'KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', natsCode: 503 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(LEDGER_TIMEOUT_MS - 50);
      expect(log).toEqual(['ledger:received:count', 'caller:error']);
    });

    it('does not answer a refusal the ledger failed to record', async () => {
      ledger.behaviour = { kind: 'error' };
      const err = await decide(requestFor(WINDOWS_11_LTSC_2024)).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'PolicyServiceError', code: 'KMSG_ERR_POLICY_LEDGER_UNAVAILABLE' });
      expect((err as Error).message).toContain('KMSG_ERR_LEDGER_COMMIT_FAILED');
      expect(log).toEqual(['ledger:received:refused', 'caller:error']);
    });

    it('reports a missing ledger and a ledger reply failing its schema', async () => {
      ledger.behaviour = { kind: 'bad-reply' };
      await expect(decide(requestFor(WINDOWS_SERVER_2019))).rejects.toMatchObject({ code: 'KMSG_ERR_POLICY_LEDGER_BAD_REPLY', natsCode: 502 });
      await ledger.stop();
      await transports.ledger.flush();
      await expect(decide(requestFor(WINDOWS_SERVER_2019))).rejects.toMatchObject({ code: 'KMSG_ERR_POLICY_LEDGER_UNAVAILABLE' });
    });

    it('answers a request failing the contract with KMSG_ERR_POLICY_BAD_REQUEST and records nothing', async () => {
      const bad = { ...requestFor(WINDOWS_SERVER_2019), version: { major: -1, minor: 0 } };
      await expect(decide(bad)).rejects.toMatchObject({ code: 'KMSG_ERR_POLICY_BAD_REQUEST', natsCode: 400 });
      const raw = await transports.caller.request(subjects.decide, new TextEncoder().encode('{not json'), { timeoutMs: 3000 }).catch((e: unknown) => e);
      expect(raw).toBeInstanceOf(RemoteHandlerError);
      expect(raw).toMatchObject({ code: 400, kind: 'KMSG_ERR_POLICY_BAD_REQUEST' });
      expect((raw as RemoteHandlerError).description).toMatch(/^KMSG_ERR_POLICY_BAD_REQUEST: PolicyDecideRequest: not JSON/);
      expect(ledger.received).toEqual([]);
    });

    it('serves the status query: host keys with their identities and sources, intervals', async () => {
      const status = await policy.status();
      expect(status.activationInterval).toBe(config.activationInterval);
      expect(status.renewalInterval).toBe(config.renewalInterval);
      expect(status.clockToleranceMinutes).toBe(config.clockToleranceMinutes);
      expect(status.hostKeys.map((k) => k.id)).toEqual(['windows-server-2019', 'office-2019']);
      for (const k of status.hostKeys) {
        const identity = identities.get(k.id)!;
        expect(k).toEqual({
          id: identity.hostKey.id,
          name: identity.hostKey.name,
          group: identity.hostKey.group,
          generation: identity.hostKey.generation,
          epid: identity.epid,
          hwid: identity.hwid,
          identitySource: identity.epidSource,
          hwidSource: identity.hwidSource,
          coveredProducts: identity.hostKey.covers.length,
        });
        expect(k.coveredProducts).toBeGreaterThan(0);
      }
    });

    it('traces the ledger call as a child of the policy span, itself a child of the incoming request span', async () => {
      const root = await withCorrelationId('corr-policy-test', () =>
        withSpan(getTracer('policy-test'), 'activation', {}, async (span) => {
          await decide(requestFor(WINDOWS_SERVER_2019));
          return span.spanContext();
        }),
      );
      await eventually(() => expect(exporter.getFinishedSpans().some((s) => s.name === `process ${subjects.ledgerRecord}`)).toBe(true));
      const spans = exporter.getFinishedSpans();
      const one = (pick: (s: ReadableSpan) => boolean, what: string): ReadableSpan => {
        const found = spans.filter(pick);
        expect(found, what).toHaveLength(1);
        return found[0]!;
      };
      const callerSend = one((s) => s.kind === SpanKind.CLIENT && s.name === `send ${subjects.decide}`, 'caller CLIENT span');
      const incoming = one((s) => s.kind === SpanKind.SERVER && s.name === `process ${subjects.decide}`, 'incoming SERVER span');
      const policySpan = one((s) => s.name === SPAN.policyDecide, 'policy span');
      const ledgerSend = one((s) => s.kind === SpanKind.CLIENT && s.name === `send ${subjects.ledgerRecord}`, 'ledger CLIENT span');
      const ledgerServe = one((s) => s.kind === SpanKind.SERVER && s.name === `process ${subjects.ledgerRecord}`, 'ledger SERVER span');
      for (const s of [callerSend, incoming, policySpan, ledgerSend, ledgerServe]) expect(s.spanContext().traceId).toBe(root.traceId);
      expect(callerSend.parentSpanContext?.spanId).toBe(root.spanId);
      expect(incoming.parentSpanContext?.spanId).toBe(callerSend.spanContext().spanId);
      expect(policySpan.parentSpanContext?.spanId).toBe(incoming.spanContext().spanId);
      expect(ledgerSend.parentSpanContext?.spanId).toBe(policySpan.spanContext().spanId);
      expect(ledgerServe.parentSpanContext?.spanId).toBe(ledgerSend.spanContext().spanId);
      expect(policySpan.attributes).toMatchObject({
        [ATTR.hresult]: 0,
        [ATTR.kmsCountedId]: WINDOWS_SERVER_2019.id,
        [ATTR.currentCount]: 37,
        [ATTR.epid]: identities.get('windows-server-2019')!.epid,
      });
      expect(ledger.headers[0]?.[CORRELATION_ID_HEADER]).toBe('corr-policy-test');
      expect(trace.getActiveSpan()).toBeUndefined();
    });

    it('puts the refusal HRESULT on the policy span', async () => {
      await decide(requestFor(WINDOWS_11_LTSC_2024));
      const policySpan = exporter.getFinishedSpans().find((s) => s.name === SPAN.policyDecide);
      expect(policySpan?.attributes[ATTR.hresult]).toBe(0xc004f042);
      expect(policySpan?.attributes[ATTR.kmsCountedId]).toBe(WINDOWS_11_LTSC_2024.id);
    });
  });
}
