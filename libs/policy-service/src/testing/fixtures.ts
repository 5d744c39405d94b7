// Test helpers (not exported from index.ts, excluded from the lib build).
import { randomBytes, randomUUID } from 'node:crypto';
import type { KmsRequestDto, LedgerRecordReply, LedgerRecordRequest, PolicyDecideRequest } from '@kmsgrid/contracts';
import { ledgerRecordRequestCodec } from '@kmsgrid/contracts';
import { findKmsItem, type KmsItem } from '@kmsgrid/kms-catalog';
import { parsePolicyConfig, type PolicyConfig } from '@kmsgrid/policy-domain';
import { ServiceError, type Subscription, type Transport } from '@kmsgrid/transport';
import type { IdentityEventStore } from '../host-key-identity.store.js';

export const NOW = new Date('2026-11-27T12:00:00Z');
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
export const fileTime = (d: Date): bigint => BigInt(d.getTime()) * 10_000n + FILETIME_UNIX_EPOCH;

export const WINDOWS_SERVER_2019 = kmsItem('8449b1fb-f0ea-497a-99ab-66ca96e9a0f5');
export const OFFICE_2019 = kmsItem('617d9eb1-ef36-4f82-86e0-a65ae07b96c6');
/** Windows 11 Enterprise LTSC 2024: a client-OS KMS ID that server and Office keys do not cover. */
export const WINDOWS_11_LTSC_2024 = kmsItem('e85ee727-69c4-4528-99d2-216b0f065e38');

export const SUITE_HOST_KEYS = 'windows-server-2019,office-2019';

function kmsItem(id: string): KmsItem {
  const item = findKmsItem(id);
  if (item === undefined) throw new Error(`test fixture: no KMS item ${id}`);
  return item;
}

/** A v6 decide request for a product at NOW. */
export function requestFor(item: KmsItem, body: Partial<KmsRequestDto> = {}, version = { major: 6, minor: 0 }): PolicyDecideRequest {
  return {
    origin: {
      requestId: randomUUID(),
      receivedAt: NOW.toISOString(),
      clientAddress: '192.0.2.10',
      ingressId: 'ingress-test',
      rpcSyntax: 'ndr32',
    },
    version,
    request: {
      vmInfo: 0,
      licenseStatus: 2,
      bindingExpiration: 43_200,
      applicationId: item.applicationId,
      skuId: '00000000-0000-0000-0000-000000000000',
      kmsCountedId: item.id,
      cmid: randomUUID(),
      previousCmid: '00000000-0000-0000-0000-000000000000',
      nPolicy: item.nPolicy,
      clientTime: fileTime(NOW).toString(),
      workstationName: 'pc-01.contoso.test',
      ...body,
    },
  };
}

export function configWith(env: Record<string, string> = {}): PolicyConfig {
  const r = parsePolicyConfig(env);
  if (!r.ok) throw new Error(`test fixture: config errors: ${r.errors.join(' | ')}`);
  return r.config;
}

/** A unique subject prefix so tests sharing one NATS server never answer each other. */
export const uniqueSubjects = (tag: string) => {
  const p = `test.${tag}.${randomBytes(4).toString('hex')}`;
  return { decide: `${p}.policy.decide`, status: `${p}.policy.status`, ledgerRecord: `${p}.ledger.record` };
};

export type LedgerBehaviour =
  | { readonly kind: 'reply'; readonly count: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'error' }
  | { readonly kind: 'bad-reply' };

/**
 * Stands in for cmid-ledger over the real transport: records what it
 * receives, in order, in `log`, and answers per `behaviour`. `hold()` keeps
 * the next replies back until `release()`, to observe that the policy does
 * not answer before the ledger has.
 */
export class TestLedger {
  readonly received: LedgerRecordRequest[] = [];
  readonly headers: Record<string, string>[] = [];
  behaviour: LedgerBehaviour = { kind: 'reply', count: 37 };
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private readonly sub: Subscription;
  private stoppedOnce = false;
  private resolveStopped: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(
    transport: Transport,
    subject: string,
    private readonly log: string[],
  ) {
    this.sub = transport.serve(subject, { queue: 'test-ledger' }, async (msg) => {
      const request = ledgerRecordRequestCodec.decode(msg.data);
      this.received.push(request);
      this.headers.push({ ...msg.headers });
      this.log.push(`ledger:received:${request.decision.kind}`);
      if (this.gate !== undefined) await this.gate;
      const b = this.behaviour;
      switch (b.kind) {
        case 'hang':
          await this.stopped;
          throw new ServiceError(503, 'stopped');
        case 'error':
          throw new ServiceError(503, 'KMSG_ERR_LEDGER_COMMIT_FAILED: commit failed', { kind: 'KMSG_ERR_LEDGER_COMMIT_FAILED' });
        case 'bad-reply':
          return { data: new TextEncoder().encode(JSON.stringify({ count: -1 })) };
        case 'reply': {
          this.log.push(`ledger:recorded:${request.decision.kind}`);
          const reply: LedgerRecordReply = { count: b.count, newClient: true };
          return { data: new TextEncoder().encode(JSON.stringify(reply)) };
        }
      }
    });
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async stop(): Promise<void> {
    this.release();
    this.resolveStopped();
    if (this.stoppedOnce) return;
    this.stoppedOnce = true;
    this.sub.unsubscribe();
  }
}

/** An event store the test forbids touching: configured identities must need no I/O. */
export const untouchableStore: IdentityEventStore = {
  readStream: () => Promise.reject(new Error('the event store must not be read for configured identities')),
  append: () => Promise.reject(new Error('the event store must not be written for configured identities')),
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
