import { AES_BLOCK, checkPkcs7, kmsCipherFor, kmsV4Mac, kmsV6Hmac, kmsV6HmacKey } from '../crypto/kms-crypto.js';
import type { KmsClientContext, KmsRequest, KmsRequestContext, KmsResponse } from '../kms/kms-message.types.js';
import { decodeKmsRequest, peekKmsVersion } from '../kms/kms-request.codec.js';
import { decodeKmsResponse, encodeKmsResponse } from '../kms/kms-response.codec.js';
import { decodeRequestStub, decodeResponseStub } from '../ndr/kms-stub.codec.js';
import { RpcClientConnection, type RpcClientOptions } from '../rpc/client-connection.js';
import { RpcFramer } from '../rpc/framer.js';
import { parsePdu, serializePdu } from '../rpc/pdu.codec.js';
import { RpcServerConnection, type RpcCallResult, type RpcServerOptions } from '../rpc/server-connection.js';
import { KmsProtocolError } from '../wire/errors.js';
import { guidFromBytes } from '../wire/guid.js';
import { toHex } from '../wire/hex.js';
import type { FuzzCorpus, VectorSeeds } from './corpus.js';
import { chunk, mutate, shiftFields, type LengthField, type Seed } from './mutate.js';
import type { Prng } from './prng.js';
import { invariant, type Recorder } from './recorder.js';

/** One generated input, ready to run (repeatably: `run` does not change the input). */
export interface FuzzCase {
  readonly target: string;
  run(rec: Recorder): void;
  describe(): string;
}

/** A family of inputs aimed at one decoder or state machine. */
export interface FuzzTarget {
  readonly name: string;
  /** Relative share of the inputs. */
  readonly weight: number;
  make(p: Prng, corpus: FuzzCorpus): FuzzCase;
}

const E_INVALIDDATA = 0x8007000d;
const HWID = Uint8Array.of(0x3a, 0x1c, 0x04, 0x96, 0x00, 0xb6, 0x00, 0x76);
const EPID = '03612-00206-556-123727-03-1033-17763.0000-2972018';

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
};

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
const u64 = (b: Uint8Array, at: number): bigint => (BigInt(u32(b, at + 4)) << 32n) | BigInt(u32(b, at));

/** Random bytes: short or long, noise or mostly zeros, sometimes behind a plausible RPC header. */
function randomBytes(p: Prng): Uint8Array {
  const n = p.pick([p.int(8), p.int(32), p.int(300), p.int(1200)]);
  const b = p.chance(0.3) ? new Uint8Array(n) : p.bytes(n);
  if (p.chance(0.3)) for (let i = 0; i < n; i++) if (p.chance(0.1)) b[i] = p.int(256);
  if (n >= 16 && p.chance(0.4)) {
    b.set([5, 0, p.pick([0, 2, 3, 11, 12, 13, 14, 15, p.int(256)]), p.pick([3, 0x13, 0x83, p.int(256)]), 0x10, 0, 0, 0]);
    b[8] = n & 0xff;
    b[9] = n >>> 8;
    b[10] = 0;
    b[11] = 0;
  }
  return b;
}

/** A mutated seed, now and then a random input instead. */
function variant(p: Prng, seeds: readonly Seed[]): Uint8Array {
  if (seeds.length === 0 || p.chance(0.08)) return randomBytes(p);
  const s = p.pick(seeds);
  return p.chance(0.04) ? s.bytes.slice() : mutate(p, s, seeds);
}

/** PDU-level mutations of a capture's stream: mutate some PDUs, drop, repeat, swap or borrow from another capture. */
function mutatePduList(p: Prng, pdus: readonly Seed[], all: readonly Seed[]): Uint8Array[] {
  const list = pdus.map((s) => s.bytes);
  const n = p.range(1, 3);
  for (let i = 0; i < n; i++) {
    const at = p.int(list.length);
    switch (p.int(6)) {
      case 0:
        list.splice(at, 1);
        break;
      case 1:
        list.splice(at, 0, list[at] ?? p.pick(all).bytes);
        break;
      case 2: {
        const j = p.int(list.length);
        [list[at], list[j]] = [list[j]!, list[at]!];
        break;
      }
      case 3:
        list.splice(at, 0, p.pick(all).bytes);
        break;
      default:
        if (list.length > 0) list[at] = mutate(p, { bytes: list[at]!, fields: pdus[at]?.fields ?? [] }, all);
    }
  }
  return list.filter((b): b is Uint8Array => b !== undefined);
}

/** The stream of `pdus` with its length fields shifted to their stream offsets. */
function streamSeed(pdus: readonly Seed[]): Seed {
  const fields: LengthField[] = [];
  let at = 0;
  for (const s of pdus) {
    fields.push(...shiftFields(s.fields, at));
    at += s.bytes.length;
  }
  return { bytes: concat(pdus.map((s) => s.bytes)), fields };
}

/** Either a list of (maybe mutated) PDUs with their boundaries, or a stream mutated as a whole. */
function mutatedStream(p: Prng, pdus: readonly Seed[], all: readonly Seed[]): { pdus: Uint8Array[]; stream: Uint8Array } {
  if (p.chance(0.6)) {
    const list = p.chance(0.1) ? pdus.map((s) => s.bytes) : mutatePduList(p, pdus, all);
    return { pdus: list, stream: concat(list) };
  }
  const stream = mutate(p, streamSeed(pdus), all);
  return { pdus: [stream], stream };
}

const boundariesOf = (pdus: readonly Uint8Array[]): number[] => {
  const out: number[] = [];
  let at = 0;
  for (const b of pdus) out.push((at += b.length));
  return out;
};

const hexList = (chunks: readonly Uint8Array[]): string => chunks.map(toHex).join(' | ');

/** Counts complete PDUs a framer cuts from `stream` before its first error. */
function completePdus(stream: Uint8Array, maxPduSize: number): number {
  const f = new RpcFramer({ maxPduSize });
  try {
    return f.push(stream).length;
  } catch {
    return 0;
  }
}

/** The host's answer to a KMS request: echo it with a fixed ePID, or 0x8007000D when it does not decode. */
function hostAnswer(rec: Recorder, payload: Uint8Array, salt: Uint8Array): RpcCallResult {
  const version = rec.decode('peekKmsVersion', () => peekKmsVersion(payload));
  if (version === undefined) return { kind: 'error', hresult: E_INVALIDDATA };
  const decoded = rec.decode('decodeKmsRequest', () => decodeKmsRequest(payload));
  if (decoded === undefined) return { kind: 'error', hresult: E_INVALIDDATA };
  const bytes = rec.decode('encodeKmsResponse', () =>
    encodeKmsResponse(echo(decoded.request), decoded.context, { responseIv: salt, randomSalt: salt }),
  );
  return bytes === undefined ? { kind: 'error', hresult: E_INVALIDDATA } : { kind: 'ok', payload: bytes };
}

const echo = (q: KmsRequest): KmsResponse => ({
  kind: 'kms-response',
  majorVersion: q.majorVersion,
  minorVersion: q.minorVersion,
  epid: EPID,
  cmid: q.cmid,
  clientTime: q.clientTime,
  count: 50,
  activationInterval: 120,
  renewalInterval: 10080,
  hwid: HWID,
});

const SERVER_KINDS = new Set(['bind_ack', 'bind_nak', 'alter_context_resp', 'fault', 'response']);

// ---------------------------------------------------------------------------- RPC

const parsePduTarget: FuzzTarget = {
  name: 'parsePdu',
  weight: 3,
  make(p, corpus) {
    const bytes = variant(p, corpus.pdus);
    return {
      target: this.name,
      describe: () => toHex(bytes),
      run(rec) {
        const pdu = rec.decode('parsePdu', () => parsePdu(bytes));
        if (pdu === undefined) return;
        // What decodes must encode again and decode to the same PDU.
        const again = rec.step('serializePdu(parsePdu(x))', () => serializePdu(pdu));
        const back = rec.step('parsePdu(serializePdu(parsePdu(x)))', () => parsePdu(again));
        invariant(back.kind === pdu.kind && back.callId === pdu.callId, () => `round trip changed ${pdu.kind} into ${back.kind}`);
      },
    };
  },
};

const framerTarget: FuzzTarget = {
  name: 'RpcFramer.push',
  weight: 2,
  make(p, corpus) {
    const v = p.pick(corpus.vectors);
    const { pdus, stream } = p.chance(0.1)
      ? { pdus: [], stream: randomBytes(p) }
      : mutatedStream(p, p.chance(0.5) ? v.clientPdus : v.serverPdus, corpus.pdus);
    const chunks = chunk(p, stream, boundariesOf(pdus));
    const maxPduSize = p.pick([5840, 0xffff, 0x10000, 1024, 100, 16, 0]);
    return {
      target: this.name,
      describe: () => `maxPduSize ${maxPduSize}: ${hexList(chunks)}`,
      run(rec) {
        const framer = new RpcFramer({ maxPduSize });
        const out: Uint8Array[] = [];
        let failed: KmsProtocolError | undefined;
        for (const c of chunks) {
          if (failed) {
            let again: unknown;
            try {
              framer.push(c);
            } catch (e) {
              again = e;
            }
            invariant(again === failed, () => `push after an error must throw the same error, got ${String(again)}`);
            continue;
          }
          const got = rec.decode('RpcFramer.push', () => framer.push(c));
          if (got === undefined) {
            invariant(framer.error !== undefined, () => 'push threw but error is unset');
            failed = framer.error;
            continue;
          }
          out.push(...got);
          failed = framer.error;
        }
        const all = concat(out);
        invariant(framer.offset === all.length, () => `offset ${framer.offset} but ${all.length} bytes returned`);
        invariant(toHex(all) === toHex(stream.subarray(0, all.length)), () => 'returned PDUs are not a prefix of the stream');
        for (const b of out) invariant(u16(b, 8) === b.length, () => `PDU of ${b.length} bytes has frag_length ${u16(b, 8)}`);
      },
    };
  },
};

const serverTarget: FuzzTarget = {
  name: 'RpcServerConnection',
  weight: 3,
  make(p, corpus) {
    const v = p.pick(corpus.vectors);
    const { pdus, stream } = mutatedStream(p, v.clientPdus, corpus.pdus);
    const chunks = chunk(p, stream, boundariesOf(pdus));
    const opts: RpcServerOptions = {
      ndr64: p.chance(0.8),
      btfn: p.chance(0.8),
      secondaryAddress: p.pick(['1688', '11692', '', '65535']),
      assocGroupId: p.u32(),
      maxPduSize: p.pick([5840, 5840, 0xffff, 1024, 100, 24]),
    };
    const salt = p.bytes(AES_BLOCK);
    return {
      target: this.name,
      describe: () => `${JSON.stringify(opts)}: ${hexList(chunks)}`,
      run(rec) {
        const conn = new RpcServerConnection(opts);
        let answers = 0;
        let closed = false;
        for (const c of chunks) {
          const events = rec.step('RpcServerConnection.receive', () => conn.receive(c));
          invariant(!closed || events.length === 0, () => `${events.length} events after close`);
          events.forEach((ev, i) => {
            switch (ev.kind) {
              case 'close':
                invariant(i === events.length - 1, () => 'close is not the last event');
                invariant(!ev.reason.startsWith('internal error'), () => `receive hit a bug: ${ev.reason}`);
                invariant(conn.closed, () => 'close event but the connection is open');
                if (ev.error) rec.reported('RpcServerConnection.receive', ev.error.code);
                closed = true;
                return;
              case 'send': {
                answers++;
                const pdu = rec.step('parsePdu(host PDU)', () => parsePdu(ev.bytes));
                invariant(SERVER_KINDS.has(pdu.kind), () => `host sent a ${pdu.kind} PDU`);
                return;
              }
              case 'call': {
                answers++;
                const result = hostAnswer(rec, ev.payload, salt);
                const bytes = rec.step('RpcServerConnection.respond', () => conn.respond(ev.callId, result));
                const pdu = rec.step('parsePdu(host response)', () => parsePdu(bytes));
                invariant(pdu.kind === 'response' && pdu.callId === ev.callId, () => `respond() made a ${pdu.kind} for call ${pdu.callId}`);
              }
            }
          });
        }
        // Proper answers: if the host did not close, every complete PDU got exactly one answer.
        if (!closed) {
          const complete = completePdus(stream, opts.maxPduSize);
          invariant(answers === complete, () => `${answers} answers to ${complete} complete PDUs without a close`);
        }
      },
    };
  },
};

/** The client context to verify a response to call `callId` with (requests go out in capture order from call id 2). */
function clientCase(p: Prng, v: VectorSeeds, corpus: FuzzCorpus) {
  const opts: RpcClientOptions = p.chance(0.85)
    ? v.clientOptions
    : { ndr32: p.chance(0.7), ndr64: p.chance(0.7), btfn: p.chance(0.5), multiplex: p.chance(0.5) };
  const options: RpcClientOptions = opts.ndr32 || opts.ndr64 ? opts : { ...opts, ndr32: true };
  // Feed PDU by PDU (the client acts between them) or the whole stream in arbitrary chunks.
  const perPdu = p.chance(0.7);
  const { pdus, stream } = mutatedStream(p, v.serverPdus, corpus.pdus);
  const feeds = perPdu ? pdus.map((b) => chunk(p, b)) : [chunk(p, stream, boundariesOf(pdus))];
  return { options, feeds };
}

const clientTarget: FuzzTarget = {
  name: 'RpcClientConnection',
  weight: 3,
  make(p, corpus) {
    const v = p.pick(corpus.vectors);
    const { options, feeds } = clientCase(p, v, corpus);
    return {
      target: this.name,
      describe: () => `${v.name} ${JSON.stringify(options)}: ${feeds.map(hexList).join(' || ')}`,
      run(rec) {
        const c = new RpcClientConnection(options);
        c.bind();
        const contexts = new Map<number, KmsClientContext | undefined>();
        const sendRequests = () => {
          for (const r of v.requests) {
            const callId = c.nextCallId;
            const bytes = rec.step('RpcClientConnection.request', () => c.request(r.payload));
            rec.step('parsePdu(client request)', () => parsePdu(bytes));
            contexts.set(callId, r.context);
          }
        };
        for (const chunks of feeds) {
          for (const ch of chunks) {
            const wasFailed = c.failed;
            const events = rec.step('RpcClientConnection.receive', () => c.receive(ch));
            invariant(!wasFailed || events.length === 0, () => `${events.length} events after failure`);
            events.forEach((ev, i) => {
              switch (ev.kind) {
                case 'error':
                  invariant(i === events.length - 1, () => 'error is not the last event');
                  invariant(!ev.error.reason.startsWith('internal error'), () => `receive hit a bug: ${ev.error.reason}`);
                  rec.reported('RpcClientConnection.receive', ev.error.code);
                  return;
                case 'bind_rejected':
                  invariant(i === events.length - 1 && c.failed, () => 'bind_rejected must end the connection');
                  return;
                case 'bound':
                  if (c.failed) return;
                  if (ev.alterContextNeeded) rec.step('RpcClientConnection.alterContext', () => c.alterContext());
                  else sendRequests();
                  return;
                case 'context_altered':
                  if (!c.failed) sendRequests();
                  return;
                case 'result': {
                  const ctx = contexts.get(ev.callId);
                  if (ev.result.kind !== 'ok' || ctx === undefined) return;
                  const payload = ev.result.payload;
                  rec.decode('decodeKmsResponse', () => decodeKmsResponse(payload, ctx));
                  return;
                }
                case 'fault':
                  return;
              }
            });
          }
        }
      },
    };
  },
};

// ---------------------------------------------------------------------------- NDR

const requestStubTarget: FuzzTarget = {
  name: 'decodeRequestStub',
  weight: 1,
  make(p, corpus) {
    const stub = variant(p, corpus.requestStubs);
    return {
      target: this.name,
      describe: () => toHex(stub),
      run(rec) {
        for (const syntax of ['ndr32', 'ndr64'] as const) {
          const payload = rec.decode(`decodeRequestStub(${syntax})`, () => decodeRequestStub(stub, syntax));
          if (payload === undefined) continue;
          invariant(payload.buffer === stub.buffer && payload.byteOffset + payload.length <= stub.byteOffset + stub.length, () => 'payload is not inside the stub');
        }
      },
    };
  },
};

const responseStubTarget: FuzzTarget = {
  name: 'decodeResponseStub',
  weight: 1,
  make(p, corpus) {
    const stub = variant(p, corpus.responseStubs);
    return {
      target: this.name,
      describe: () => toHex(stub),
      run(rec) {
        for (const syntax of ['ndr32', 'ndr64'] as const) {
          const res = rec.decode(`decodeResponseStub(${syntax})`, () => decodeResponseStub(stub, syntax));
          if (res?.kind === 'ok') invariant(res.payload.length <= stub.length, () => 'payload longer than the stub');
        }
      },
    };
  },
};

// ---------------------------------------------------------------------------- KMS

/** Length-preserving mutation of `body` padded to whole AES blocks. */
function mutateBlocks(p: Prng, body: Uint8Array, fields: readonly LengthField[]): Uint8Array {
  const m = mutate(p, { bytes: body, fields }, [{ bytes: body, fields }]);
  const out = new Uint8Array(Math.max(AES_BLOCK, Math.ceil(m.length / AES_BLOCK) * AES_BLOCK));
  out.set(m.subarray(0, out.length));
  return out;
}

/** A request whose cleartext was mutated and then MACed or encrypted again, so decoding gets past the crypto. */
function resealRequest(p: Prng, bytes: Uint8Array): Uint8Array {
  const major = u16(bytes, 2);
  if (major === 4 && bytes.length >= 236) {
    const base = mutate(p, { bytes: bytes.subarray(0, 236), fields: [] }, []);
    return concat([base, kmsV4Mac(base)]);
  }
  if (bytes.length < 4 + 2 * AES_BLOCK || (bytes.length - 4) % AES_BLOCK !== 0) return mutate(p, { bytes, fields: [] }, []);
  const cipher = kmsCipherFor(major);
  const iv = bytes.subarray(4, 4 + AES_BLOCK);
  const plain = cipher.decrypt(bytes.subarray(4 + AES_BLOCK), iv); // base + pad
  const body = mutateBlocks(p, plain, [{ at: 2, width: 2, name: 'Version.major' }]);
  return concat([bytes.subarray(0, 4), iv, cipher.encrypt(body, iv)]);
}

const kmsRequestTarget: FuzzTarget = {
  name: 'decodeKmsRequest',
  weight: 3,
  make(p, corpus) {
    const bytes = p.chance(0.45) ? resealRequest(p, p.pick(corpus.kmsRequests).bytes) : variant(p, corpus.kmsRequests);
    const salt = p.bytes(AES_BLOCK);
    return {
      target: this.name,
      describe: () => toHex(bytes),
      run(rec) {
        rec.decode('peekKmsVersion', () => peekKmsVersion(bytes));
        const decoded = rec.decode('decodeKmsRequest', () => decodeKmsRequest(bytes));
        if (decoded === undefined) return;
        // The host path goes on with the decoded request: encoding the answer must work or refuse cleanly.
        rec.decode('encodeKmsResponse', () => encodeKmsResponse(echo(decoded.request), decoded.context, { responseIv: salt, randomSalt: salt }));
      },
    };
  },
};

const randomGuid = (p: Prng) => guidFromBytes(p.bytes(16));
const EPID_CHARS = '0123456789-.ABCxyz \u00e9\u4e2d\ud800\udc00\uffff';

/** A response re-encoded from random field values for the request behind `ctx` (exercises the checks). */
function reencodedResponse(p: Prng, ctx: KmsClientContext): Uint8Array | undefined {
  const host: KmsRequestContext = {
    kind: 'kms-request-context',
    version: ctx.version,
    ...(ctx.decryptedRequestIv ? { decryptedRequestIv: ctx.decryptedRequestIv } : {}),
  };
  const epidLength = p.pick([0, 1, 49, 62, 63, p.int(64)]);
  const epid = p.chance(0.3) ? EPID : Array.from({ length: epidLength }, () => p.pick([...EPID_CHARS])).join('').slice(0, 63);
  const response: KmsResponse = {
    kind: 'kms-response',
    majorVersion: p.chance(0.8) ? ctx.majorVersion : p.int(0x10000),
    minorVersion: p.chance(0.8) ? ctx.minorVersion : p.int(0x10000),
    epid,
    cmid: p.chance(0.8) ? ctx.cmid : randomGuid(p),
    clientTime: p.chance(0.8) ? ctx.clientTime : (BigInt(p.u32()) << 32n) | BigInt(p.u32()),
    count: p.pick([0, 25, 50, p.u32()]),
    activationInterval: p.pick([120, 0, p.u32()]),
    renewalInterval: p.pick([10080, 0, p.u32()]),
    ...(p.chance(0.95) ? { hwid: p.chance(0.5) ? HWID : p.bytes(8) } : {}),
  };
  try {
    return encodeKmsResponse(response, host, { responseIv: p.chance(0.1) ? ctx.decryptedRequestIv : p.bytes(16), randomSalt: p.bytes(16) });
  } catch (e) {
    if (e instanceof KmsProtocolError) return undefined;
    throw e;
  }
}

/** A response whose plaintext was mutated (PIDSize edits among others), optionally re-signed, re-padded and re-encrypted. */
function resealResponse(p: Prng, bytes: Uint8Array): Uint8Array {
  const major = u16(bytes, 2);
  if (major === 4 && bytes.length > 16) {
    const base = mutate(p, { bytes: bytes.subarray(0, bytes.length - 16), fields: [{ at: 4, width: 4, name: 'PIDSize' }] }, []);
    return concat([base, kmsV4Mac(base)]);
  }
  if (bytes.length < 4 + 2 * AES_BLOCK || (bytes.length - 4) % AES_BLOCK !== 0) return mutate(p, { bytes, fields: [] }, []);
  const cipher = kmsCipherFor(major);
  const plain = cipher.decrypt(bytes.subarray(4));
  const pad = checkPkcs7(plain);
  const content = plain.subarray(0, pad > 0 ? plain.length - pad : plain.length);
  const fields: LengthField[] = [{ at: AES_BLOCK + 4, width: 4, name: 'PIDSize' }];
  const m = mutate(p, { bytes: content, fields }, []);
  if (major >= 6 && m.length >= AES_BLOCK + 8 && p.chance(0.7)) {
    // Re-sign so the decoder gets past the HMAC: key from ClientTime as the mutated PIDSize places it.
    const timeAt = AES_BLOCK + 8 + u32(m, AES_BLOCK + 4) + 16;
    if (timeAt + 8 <= m.length && m.length >= 16) {
      m.set(kmsV6Hmac(kmsV6HmacKey(u64(m, timeAt)), m.subarray(0, m.length - 16)), m.length - 16);
    }
  }
  const padLength = p.chance(0.9) ? AES_BLOCK - (m.length % AES_BLOCK) : p.range(1, AES_BLOCK);
  const padded = new Uint8Array(Math.ceil((m.length + padLength) / AES_BLOCK) * AES_BLOCK);
  padded.set(m);
  padded.fill(padLength, m.length);
  return concat([bytes.subarray(0, 4), cipher.encrypt(padded)]);
}

const kmsResponseTarget: FuzzTarget = {
  name: 'decodeKmsResponse',
  weight: 3,
  make(p, corpus) {
    const seed = p.pick(corpus.kmsResponses);
    const mode = p.int(10);
    const bytes =
      mode < 3
        ? resealResponse(p, seed.bytes)
        : mode < 5
          ? (reencodedResponse(p, seed.context) ?? seed.bytes)
          : variant(p, corpus.kmsResponses);
    // Mostly the right context; sometimes another capture's (wrong version, IVs, CMID).
    const context = p.chance(0.85) ? seed.context : p.pick(corpus.kmsResponses).context;
    return {
      target: this.name,
      describe: () => `context ${JSON.stringify(context, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? toHex(v) : v))}: ${toHex(bytes)}`,
      run(rec) {
        const res = rec.decode('decodeKmsResponse', () => decodeKmsResponse(bytes, context));
        if (res) invariant(res.checks.length > 0, () => 'a verified response without checks');
      },
    };
  },
};

/** Every target, in report order. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  parsePduTarget,
  framerTarget,
  serverTarget,
  clientTarget,
  requestStubTarget,
  responseStubTarget,
  kmsRequestTarget,
  kmsResponseTarget,
];
