import type { KmsRequestDto, LedgerRecordReply, LedgerRecordRequest } from '@kmsgrid/contracts';
import { APPLICATIONS } from '../constants.js';
import { toRecordActivationRequest, type RecordActivationRequest } from '../count-group.command.js';
import { evolve, initialState, recordActivation, type CountGroupState } from '../count-group.decider.js';
import type { CountGroupEvent } from '../count-group.events.js';

/** Test data builders and a Given/When/Then runner for the count group (no I/O). */

export const DAY_MS = 24 * 60 * 60 * 1000;
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** The instant `days` (fractional allowed) after T0. */
export const day = (days: number): Date => new Date(T0 + Math.round(days * DAY_MS));

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
/** A deterministic GUID from a number and a 4-hex-digit tag. */
export const guid = (n: number, tag = 'c0de'): string => `${hex(n >>> 0, 8)}-${tag}-4000-8000-${hex(Math.floor(n / 2 ** 32), 12)}`;

/** KMS counted ids used in tests (any GUID does; the policy decides coverage). */
export const KMS_IDS = {
  server2008r2C: '8fe53387-3087-4447-8985-f75132215ac9',
  windows7: '7fde5219-fbfa-484a-82c9-34d1ad53e856',
  office2013: 'e6a6f1bf-9d40-40c3-aa9f-c77ba21578c0',
} as const;

let requestSeq = 0;

export type RequestSpec = {
  cmid: string;
  nPolicy?: number;
  applicationId?: string;
  kmsCountedId?: string;
  licenseStatus?: number;
  workstationName?: string;
  vmInfo?: number;
  requestId?: string;
  refused?: { hresult: number; reason: string };
};

export function kmsRequest(spec: RequestSpec): KmsRequestDto {
  return {
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
  };
}

/** A LedgerRecordRequest as activation-policy sends it. */
export function recordMessage(spec: RequestSpec, at: Date): LedgerRecordRequest {
  return {
    origin: {
      requestId: spec.requestId ?? guid(++requestSeq, 'aaaa'),
      receivedAt: at.toISOString(),
      clientAddress: '192.0.2.10',
      ingressId: 'ingress-1',
      rpcSyntax: 'ndr64',
    },
    version: { major: 6, minor: 0 },
    request: kmsRequest(spec),
    decision: spec.refused === undefined ? { kind: 'count', hostKeyId: 'csvlk-ws2022' } : { kind: 'refused', ...spec.refused },
  };
}

export const recordCommand = (spec: RequestSpec, at: Date): RecordActivationRequest => toRecordActivationRequest(recordMessage(spec, at), at);

/**
 * Given/When/Then over the decider, the way the service runs it: decide,
 * append (here: keep), evolve, reply.
 *
 * @example const r = givenEvents(history).when(recordCommand({ cmid }, day(1))); expect(r.reply.count).toBe(1);
 */
export function givenEvents(events: readonly CountGroupEvent[], state: CountGroupState = initialState()) {
  for (const e of events) evolve(state, e);
  return {
    state,
    when(command: RecordActivationRequest): { events: CountGroupEvent[]; reply: LedgerRecordReply; state: CountGroupState } {
      const result = recordActivation(state, command);
      for (const e of result.events) evolve(state, e);
      return { ...result, state };
    },
  };
}

/** A little service: records requests one after another and keeps every event (its "event store"). */
export class CountGroupHarness {
  readonly state = initialState();
  readonly events: CountGroupEvent[] = [];

  record(spec: RequestSpec, at: Date): LedgerRecordReply {
    const r = givenEvents([], this.state).when(recordCommand(spec, at));
    this.events.push(...r.events);
    return r.reply;
  }
}
