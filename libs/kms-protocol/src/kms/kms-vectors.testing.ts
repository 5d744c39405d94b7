import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VECTORS_DIR, loadAllVectors, type CapturedExchange } from '../testing/vectors.js';

/**
 * Test-only: slices KMS payloads out of the captured RPC request/response stubs
 * (minimal, just for these captures; the real NDR codec lives in src/ndr) and
 * reads the independent decode in NAME.decoded.txt.
 */

export interface KmsPayload {
  readonly dir: 'C' | 'S';
  readonly callId: number;
  readonly ndr64: boolean;
  readonly payload: Uint8Array;
}

const u32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** KMS payloads of every RPC request (type 0) and non-error response (type 2), in wire order. */
export function kmsPayloads(x: CapturedExchange): KmsPayload[] {
  const out: KmsPayload[] = [];
  for (const pdu of x.pdus) {
    const b = pdu.bytes;
    const type = b[2]!;
    if (type !== 0 && type !== 2) continue;
    const callId = u32(b, 12);
    const stub = b.subarray(24);
    const len = u32(stub, 0);
    if (len === 0) continue; // error response: len 0, NULL pointer, HRESULT
    // NDR64 sizes are u64, so the high half of the first length is 0.
    const ndr64 = u32(stub, 4) === 0;
    const at = type === 0 ? (ndr64 ? 16 : 8) : ndr64 ? 24 : 12;
    out.push({ dir: pdu.dir, callId, ndr64, payload: stub.slice(at, at + len) });
  }
  return out;
}

/** One "KMS request"/"KMS response" block of a .decoded.txt file. */
export interface DecodedKmsBlock {
  readonly what: 'request' | 'response';
  readonly size: number;
  readonly fields: ReadonlyMap<string, string>;
  readonly checks: readonly string[];
}

const LABELS = [
  'IV (salt, wire)',
  'IV (wire)',
  'decrypted IV block',
  'decrypted plaintext (after IV):',
  'Version',
  'VMInfo',
  'LicenseStatus',
  'BindingExpiration',
  'AppID',
  'ActID (SKU)',
  'KMSID',
  'CMID_prev',
  'CMID',
  'N_Policy',
  'ClientTime',
  'WorkstationName',
  'PKCS7 pad',
  'pad',
  'MAC (AES-CMAC)',
  'PIDSize',
  'KmsPID (ePID)',
  'Count',
  'VLActivationInterval',
  'VLRenewalInterval',
  'RandomXoredIVs',
  'Hash (SHA256)',
  'HwId',
  'XoredIVs',
  'HMAC (low 16)',
];

export function readDecoded(name: string): DecodedKmsBlock[] {
  const text = readFileSync(join(VECTORS_DIR, `${name}.decoded.txt`), 'utf8');
  const blocks: { what: 'request' | 'response'; size: number; fields: Map<string, string>; checks: string[] }[] = [];
  for (const line of text.split('\n')) {
    const head = /^\s+KMS (request|response), (\d+) bytes/.exec(line);
    if (head) {
      blocks.push({ what: head[1] as 'request' | 'response', size: Number(head[2]), fields: new Map(), checks: [] });
      continue;
    }
    const cur = blocks[blocks.length - 1];
    if (!cur || !line.startsWith('      ')) continue;
    const t = line.trim();
    if (t.startsWith('check:')) {
      cur.checks.push(t);
      continue;
    }
    const label = LABELS.find((l) => t.startsWith(l + ' '));
    if (label) cur.fields.set(label, t.slice(label.length).trim());
  }
  return blocks;
}

export const CAPTURE_NAMES = loadAllVectors().map((x) => x.name);
