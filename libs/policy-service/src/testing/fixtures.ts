// Test helpers (not exported from index.ts, excluded from the lib build).
import { randomBytes, randomUUID } from 'node:crypto';
import type { KmsRequestDto, LedgerRecordReply, LedgerRecordRequest, PolicyDecideRequest } from '@kmsgrid/contracts';
import { ledgerRecordRequestCodec } from '@kmsgrid/contracts';
import type { KmsItem } from '@kmsgrid/kms-catalog';
import { kmsItemById, requestFor as domainRequestFor } from '@kmsgrid/policy-domain/testing';
import { ServiceError, type Subscription, type Transport } from '@kmsgrid/transport';
import type { IdentityEventStore } from '../host-key-identity.store.js';

export { NOW, configWith, fileTime } from '@kmsgrid/policy-domain/testing';

export const WINDOWS_SERVER_2019 = kmsItemById('8449b1fb-f0ea-497a-99ab-66ca96e9a0f5');
export const OFFICE_2019 = kmsItemById('617d9eb1-ef36-4f82-86e0-a65ae07b96c6');
/** Windows 11 Enterprise LTSC 2024: a client-OS KMS ID that server and Office keys do not cover. */
export const WINDOWS_11_LTSC_2024 = kmsItemById('e85ee727-69c4-4528-99d2-216b0f065e38');

export const SUITE_HOST_KEYS = 'windows-server-2019,office-2019';

/** policy-domain's v6 decide request at NOW, with a fresh request id and CMID (the service records them). */
export function requestFor(item: KmsItem, body: Partial<KmsRequestDto> = {}, version = { major: 6, minor: 0 }): PolicyDecideRequest {
  const r = domainRequestFor(item, { cmid: randomUUID(), ...body }, version);
  return { ...r, origin: { ...r.origin, requestId: randomUUID() } };
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
