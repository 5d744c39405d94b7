import { decodeKmsRequest } from '../kms/kms-request.codec.js';
import type { KmsClientContext } from '../kms/kms-message.types.js';
import { NDR32_SYNTAX, NDR64_SYNTAX, PfcFlags, btfnFeaturesOf, sameSyntax } from '../rpc/constants.js';
import type { RpcClientOptions } from '../rpc/client-connection.js';
import { parsePdu } from '../rpc/pdu.codec.js';
import { loadAllVectors, type CapturedExchange } from '../testing/vectors.js';
import { isKmsProtocolError } from '../wire/errors.js';
import { shiftFields, type LengthField, type Seed } from './mutate.js';

/** One capture, cut into the seeds each fuzz target starts from. */
export interface VectorSeeds {
  readonly name: string;
  readonly clientPdus: readonly Seed[];
  readonly serverPdus: readonly Seed[];
  /** vlmcs' options for this capture, read back from its bind. */
  readonly clientOptions: RpcClientOptions;
  /** KMS request payloads in call order, each with the context a client keeps (none for undecodable ones: v7). */
  readonly requests: readonly { readonly payload: Uint8Array; readonly context?: KmsClientContext }[];
}

/** Everything the targets mutate, built once from ../shared/vectors (copied into fixtures/vectors). */
export interface FuzzCorpus {
  readonly vectors: readonly VectorSeeds[];
  readonly pdus: readonly Seed[];
  readonly requestStubs: readonly Seed[];
  readonly responseStubs: readonly Seed[];
  readonly kmsRequests: readonly Seed[];
  /** KMS response payloads with the client context of the request they answer. */
  readonly kmsResponses: readonly (Seed & { readonly context: KmsClientContext })[];
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

/** NDR64 lengths are u64, so the high half of the first one is zero in these captures. */
const isNdr64Stub = (stub: Uint8Array): boolean => stub.length >= 8 && u32(stub, 4) === 0 && u32(stub, 0) !== 0;

export function requestStubFields(ndr64: boolean): LengthField[] {
  return ndr64
    ? [{ at: 0, width: 8, name: 'requestSize' }, { at: 8, width: 8, name: 'size_is' }]
    : [{ at: 0, width: 4, name: 'requestSize' }, { at: 4, width: 4, name: 'size_is' }];
}

export function responseStubFields(ndr64: boolean): LengthField[] {
  const w = ndr64 ? 8 : 4;
  return [
    { at: 0, width: w, name: 'responseSize' },
    { at: w, width: w, name: 'referent' },
    { at: 2 * w, width: w, name: 'max_count' },
  ];
}

/** The length and count fields of a PDU, by type (C706 §12.6.4, MS-RPCE 2.2.2). */
export function pduFields(b: Uint8Array): LengthField[] {
  const f: LengthField[] = [
    { at: 8, width: 2, name: 'frag_length' },
    { at: 10, width: 2, name: 'auth_length' },
  ];
  const type = b[2];
  if (type === 0 || type === 2 || type === 3) f.push({ at: 16, width: 4, name: 'alloc_hint' });
  if (type === 0 && b.length > 32) {
    const stub = b.subarray(24);
    const ndr64 = isNdr64Stub(stub);
    f.push(...shiftFields(requestStubFields(ndr64), 24, 'stub.'));
    const payloadAt = 24 + (ndr64 ? 16 : 8);
    if (b[payloadAt + 2] === 4) f.push({ at: payloadAt + 2, width: 2, name: 'kms.Version.major' });
  }
  if (type === 2 && b.length > 36) {
    const ndr64 = isNdr64Stub(b.subarray(24));
    f.push(...shiftFields(responseStubFields(ndr64), 24, 'stub.'));
    const payloadAt = 24 + (ndr64 ? 24 : 12);
    if (b[payloadAt + 2] === 4) f.push({ at: payloadAt + 4, width: 4, name: 'kms.PIDSize' });
  }
  if (type === 11 || type === 14) {
    f.push({ at: 24, width: 1, name: 'n_context_elem' });
    let at = 28;
    for (let i = 0; i < (b[24] ?? 0) && at + 4 <= b.length; i++) {
      f.push({ at: at + 2, width: 1, name: `ctx[${i}].n_transfer_syn` });
      at += 4 + 20 * (1 + b[at + 2]!);
    }
  }
  if (type === 12 || type === 15) {
    f.push({ at: 24, width: 2, name: 'sec_addr.length' });
    const afterAddr = 26 + (b[24] ?? 0);
    f.push({ at: afterAddr + ((4 - (afterAddr % 4)) % 4), width: 1, name: 'n_results' });
  }
  if (type === 13) f.push({ at: 18, width: 1, name: 'n_protocols' });
  return f;
}

/** Length fields of a v4 response payload; v5/v6 ones are encrypted (targets edit them in the plaintext). */
const kmsResponseFields = (payload: Uint8Array): LengthField[] =>
  payload[2] === 4 ? [{ at: 4, width: 4, name: 'PIDSize' }] : [];

function clientOptionsOf(x: CapturedExchange): RpcClientOptions {
  const bind = parsePdu(x.pdus.find((p) => p.dir === 'C')!.bytes);
  if (bind.kind !== 'bind') throw new Error(`${x.name}: first client PDU is not a bind`);
  const offers = (s: typeof NDR32_SYNTAX) => bind.contexts.some((c) => c.transferSyntaxes.some((t) => sameSyntax(t, s)));
  return {
    ndr32: offers(NDR32_SYNTAX),
    ndr64: offers(NDR64_SYNTAX),
    btfn: bind.contexts.some((c) => c.transferSyntaxes.some((t) => btfnFeaturesOf(t) !== undefined)),
    multiplex: (bind.flags & PfcFlags.CONC_MPX) !== 0,
  };
}

/** The context vlmcs keeps for a request, rebuilt from what the host decodes. */
function clientContextOf(payload: Uint8Array): KmsClientContext | undefined {
  try {
    const { request, context } = decodeKmsRequest(payload);
    return {
      kind: 'kms-client-context',
      version: context.version,
      majorVersion: request.majorVersion,
      minorVersion: request.minorVersion,
      cmid: request.cmid,
      clientTime: request.clientTime,
      ...(context.decryptedRequestIv ? { decryptedRequestIv: context.decryptedRequestIv } : {}),
    };
  } catch (e) {
    if (isKmsProtocolError(e)) return undefined; // err-version-7.0: the host refuses it too
    throw e;
  }
}

export function buildCorpus(exchanges: readonly CapturedExchange[] = loadAllVectors()): FuzzCorpus {
  const vectors: VectorSeeds[] = [];
  const requestStubs: Seed[] = [];
  const responseStubs: Seed[] = [];
  const kmsRequests: Seed[] = [];
  const kmsResponses: (Seed & { context: KmsClientContext })[] = [];
  for (const x of exchanges) {
    const seedOf = (bytes: Uint8Array): Seed => ({ bytes, fields: pduFields(bytes) });
    const clientPdus = x.pdus.filter((p) => p.dir === 'C').map((p) => seedOf(p.bytes));
    const serverPdus = x.pdus.filter((p) => p.dir === 'S').map((p) => seedOf(p.bytes));
    const requests: { payload: Uint8Array; context?: KmsClientContext }[] = [];
    const contextByCall = new Map<number, KmsClientContext>();
    for (const p of x.pdus) {
      const pdu = parsePdu(p.bytes);
      if (pdu.kind === 'request') {
        const ndr64 = isNdr64Stub(pdu.stub);
        requestStubs.push({ bytes: pdu.stub, fields: requestStubFields(ndr64) });
        const payload = pdu.stub.subarray(ndr64 ? 16 : 8);
        kmsRequests.push({ bytes: payload, fields: [] });
        const context = clientContextOf(payload);
        if (context) contextByCall.set(pdu.callId, context);
        requests.push(context ? { payload, context } : { payload });
      } else if (pdu.kind === 'response') {
        const ndr64 = isNdr64Stub(pdu.stub);
        responseStubs.push({ bytes: pdu.stub, fields: responseStubFields(ndr64) });
        const len = u32(pdu.stub, 0);
        const context = contextByCall.get(pdu.callId);
        if (len > 0 && context) {
          const at = ndr64 ? 24 : 12;
          const payload = pdu.stub.subarray(at, at + len);
          kmsResponses.push({ bytes: payload, fields: kmsResponseFields(payload), context });
        }
      }
    }
    vectors.push({ name: x.name, clientPdus, serverPdus, clientOptions: clientOptionsOf(x), requests });
  }
  return {
    vectors,
    pdus: vectors.flatMap((v) => [...v.clientPdus, ...v.serverPdus]),
    requestStubs,
    responseStubs,
    kmsRequests,
    kmsResponses,
  };
}
