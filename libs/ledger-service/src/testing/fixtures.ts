import { randomUUID } from 'node:crypto';
import type { LedgerRecordRequest } from '@kmsgrid/contracts';
import { KMS_IDS, T0, kmsRequest, type RequestSpec as DomainRequestSpec } from '@kmsgrid/ledger-domain/testing';

/** Test data for the ledger service (no I/O), on ledger-domain's builders. */

export { DAY_MS, KMS_IDS, T0, day, guid } from '@kmsgrid/ledger-domain/testing';

export type RequestSpec = DomainRequestSpec & {
  clientAddress?: string;
  /** A refusal of an undecodable request: no body at all. */
  noBody?: boolean;
};

export const SERVER = { nPolicy: 5, kmsCountedId: KMS_IDS.server2008r2C } as const;
export const WIN7 = { nPolicy: 25, kmsCountedId: KMS_IDS.windows7 } as const;

/** A LedgerRecordRequest as activation-policy sends it. */
export function recordRequest(spec: RequestSpec, at: Date = new Date(T0)): LedgerRecordRequest {
  const origin = {
    requestId: spec.requestId ?? randomUUID(),
    receivedAt: at.toISOString(),
    clientAddress: spec.clientAddress ?? '192.0.2.10',
    ingressId: 'ingress-1',
    rpcSyntax: 'ndr64' as const,
  };
  const version = { major: 6, minor: 0 };
  const decision = spec.refused === undefined ? { kind: 'count' as const, hostKeyId: 'csvlk-ws2022' } : { kind: 'refused' as const, ...spec.refused };
  if (spec.noBody === true) return { origin, version, decision };
  return { origin, version, decision, request: kmsRequest(spec) };
}

/** A clock the test moves by hand. */
export class ManualClock {
  private t: number;
  constructor(start: Date = new Date(T0)) {
    this.t = start.getTime();
  }
  readonly now = (): Date => new Date(this.t);
  set(at: Date): void {
    this.t = at.getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
