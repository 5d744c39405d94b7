import type { PolicyDecideReply, PolicyDecideRequest } from '@kmsgrid/contracts';
import type { KmsRequest, KmsResponse } from '@kmsgrid/kms-protocol';

/**
 * Wire (decoded KMS request) -> contract message for the policy. Built as literals
 * without object spread: this runs once per activation.
 */
export function toDecideRequest(input: {
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly clientAddress: string;
  readonly ingressId: string;
  readonly rpcSyntax: 'ndr32' | 'ndr64';
  readonly version: { readonly major: number; readonly minor: number };
  readonly request: KmsRequest | undefined;
}): PolicyDecideRequest {
  const origin = {
    requestId: input.requestId,
    receivedAt: input.receivedAt.toISOString(),
    clientAddress: input.clientAddress,
    ingressId: input.ingressId,
    rpcSyntax: input.rpcSyntax,
  };
  const version = { major: input.version.major, minor: input.version.minor };
  const r = input.request;
  // No `request` key at all for a body that was not decoded.
  if (r === undefined) return { origin, version };
  return {
    origin,
    version,
    request: {
      vmInfo: r.vmInfo,
      licenseStatus: r.licenseStatus,
      bindingExpiration: r.bindingExpiration,
      applicationId: r.applicationId,
      skuId: r.skuId,
      kmsCountedId: r.kmsCountedId,
      cmid: r.cmid,
      previousCmid: r.previousCmid,
      nPolicy: r.nPolicy,
      clientTime: r.clientTime.toString(),
      workstationName: r.workstationName,
    },
  };
}

/** Policy's answer -> the KMS response; version, CMID and client time echo the request, as clients check. */
export function toKmsResponse(
  request: KmsRequest,
  reply: Extract<PolicyDecideReply, { kind: 'activate' }>,
  hwid: Uint8Array,
): KmsResponse {
  return {
    kind: 'kms-response',
    majorVersion: request.majorVersion,
    minorVersion: request.minorVersion,
    epid: reply.epid,
    cmid: request.cmid,
    clientTime: request.clientTime,
    count: reply.count,
    activationInterval: reply.activationInterval,
    renewalInterval: reply.renewalInterval,
    hwid,
  };
}
