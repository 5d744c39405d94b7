import { describe, expect, it } from 'vitest';
import { ContractError, ledgerRecordRequestCodec, policyDecideReplyCodec, policyDecideRequestCodec } from './index.js';

const origin = {
  requestId: '2b1f0c7e-5d0a-4c1e-9f59-9b0c1c2d3e4f',
  receivedAt: '2026-11-27T22:21:27.000Z',
  clientAddress: '127.0.0.1',
  ingressId: 'ingress-1',
  rpcSyntax: 'ndr32' as const,
};
const request = {
  vmInfo: 0,
  licenseStatus: 2,
  bindingExpiration: 43200,
  applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
  skuId: 'b92e9980-b9d5-4821-9c94-140f632f6312',
  kmsCountedId: '7fde5219-fbfa-484a-82c9-34d1ad53e856',
  cmid: '6f0f6a3c-1111-4aaa-8bbb-000000000004',
  previousCmid: '00000000-0000-0000-0000-000000000000',
  nPolicy: 25,
  clientTime: '134402916870000000',
  workstationName: 'VECTOR-V4.example.test',
};

describe('activation contracts', () => {
  it('round-trips a decide request and reply', () => {
    const req = { origin, version: { major: 4, minor: 0 }, request };
    expect(policyDecideRequestCodec.decode(policyDecideRequestCodec.encode(req))).toEqual(req);
    const rep = { kind: 'refuse' as const, hresult: 0xc004f042, reason: 'not covered' };
    expect(policyDecideReplyCodec.decode(policyDecideReplyCodec.encode(rep))).toEqual(rep);
  });

  it('rejects a malformed message with the offending path', () => {
    const bad = { origin, version: { major: 4, minor: 0 }, request: { ...request, cmid: 'nope' } };
    expect(() => policyDecideRequestCodec.check(bad)).toThrow(ContractError);
    expect(() => policyDecideRequestCodec.check(bad)).toThrow(/\/request\/cmid/);
    expect(() => ledgerRecordRequestCodec.decode(new TextEncoder().encode('{'))).toThrow(/not JSON/);
  });
});
