import { randomUUID } from 'node:crypto';
import type { LedgerRecordRequest } from '@kmsgrid/contracts';
import { APPLICATIONS } from '@kmsgrid/ledger-domain';

/** Test data for the ledger service (no I/O). */

export const DAY_MS = 24 * 60 * 60 * 1000;
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** The instant `days` (fractional allowed) after T0. */
export const day = (days: number): Date => new Date(T0 + Math.round(days * DAY_MS));

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
/** A deterministic GUID from a number. */
export const guid = (n: number, tag = 'c0de'): string => `${hex(n >>> 0, 8)}-${tag}-4000-8000-${hex(Math.floor(n / 2 ** 32), 12)}`;

export const KMS_IDS = {
  server2008r2C: '8fe53387-3087-4447-8985-f75132215ac9',
  windows7: '7fde5219-fbfa-484a-82c9-34d1ad53e856',
  office2013: 'e6a6f1bf-9d40-40c3-aa9f-c77ba21578c0',
} as const;

export type RequestSpec = {
  cmid: string;
  nPolicy?: number;
  applicationId?: string;
  kmsCountedId?: string;
  licenseStatus?: number;
  workstationName?: string;
  clientAddress?: string;
  vmInfo?: number;
  requestId?: string;
  refused?: { hresult: number; reason: string };
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
  return {
    origin,
    version,
    decision,
    request: {
      vmInfo: spec.vmInfo ?? 0,
      licenseStatus: spec.licenseStatus ?? 2,
      bindingExpiration: 43200,
      applicationId: spec.applicationId ?? APPLICATIONS.windows,
      skuId: 'ae2ee509-1b34-41c0-acb7-6d4650168915',
      kmsCountedId: spec.kmsCountedId ?? KMS_IDS.windows7,
      cmid: spec.cmid,
      previousCmid: '00000000-0000-0000-0000-000000000000',
      nPolicy: spec.nPolicy ?? 25,
      clientTime: '134402916870000000',
      workstationName: spec.workstationName ?? `host-${spec.cmid.slice(0, 8)}`,
    },
  };
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
