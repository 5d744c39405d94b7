import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalName, DnsWireError, RR_CLASS, RR_TYPE, TSIG_ERROR, tsigErrorName } from '@kmsgrid/dns-client';
import { decodeHeader, scanMessage, type RecordSpan } from './message.js';
import { decodeName, encodeName, encodeRr } from './records.js';

/** TSIG algorithms (RFC 8945 §6) and their Node digests. HMAC-MD5 is left out: deprecated, not needed. */
export const TSIG_ALGORITHMS = {
  'hmac-sha1': 'sha1',
  'hmac-sha224': 'sha224',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

/** A shared TSIG key: its name and algorithm must match the server's `key` statement. */
export type TsigKey = Readonly<{ name: string; algorithm: TsigAlgorithm; secret: Buffer }>;

/** Default fudge: 300 s, as RFC 8945 §10 recommends. */
export const DEFAULT_FUDGE = 300;

/** A TSIG record read from a message (RFC 8945 §4.2). */
export type TsigRecord = Readonly<{
  keyName: string;
  algorithm: string;
  /** Seconds since the epoch (48 bits on the wire). */
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  /** TSIG error (0, BADSIG 16, BADKEY 17, BADTIME 18, BADTRUNC 22). */
  error: number;
  otherData: Buffer;
  /** Offset of the TSIG record in the message. */
  offset: number;
}>;

/** Fields covered by the MAC besides the message (RFC 8945 §4.3.3). */
export type TsigFields = Readonly<{ timeSigned: number; fudge: number; error: number; otherData: Buffer }>;

function isAlgorithm(name: string): name is TsigAlgorithm {
  return Object.hasOwn(TSIG_ALGORITHMS, name);
}

function u48(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffffffff) throw new DnsWireError('DNS_BAD_ARGUMENT', `time ${n} does not fit 48 bits`);
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(n / 0x100000000), 0);
  b.writeUInt32BE(n % 0x100000000, 2);
  return b;
}

/** TSIG rdata: algorithm, time, fudge, MAC, original id, error, other data. */
function encodeTsigRdata(algorithm: string, f: TsigFields, mac: Buffer, originalId: number): Buffer {
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(originalId, 0);
  tail.writeUInt16BE(f.error, 2);
  tail.writeUInt16BE(f.otherData.length, 4);
  const macLen = Buffer.alloc(2);
  macLen.writeUInt16BE(mac.length, 0);
  const fudge = Buffer.alloc(2);
  fudge.writeUInt16BE(f.fudge, 0);
  return Buffer.concat([encodeName(algorithm), u48(f.timeSigned), fudge, macLen, mac, tail, f.otherData]);
}

/**
 * The MAC of a message (RFC 8945 §4.3): over the request MAC (for an answer,
 * with its 2-byte length), the message as it was before the TSIG was added,
 * then the TSIG variables with names in canonical (lowercase, uncompressed) form.
 */
export function computeTsigMac(key: TsigKey, unsigned: Buffer, f: TsigFields, requestMac?: Buffer): Buffer {
  const hmac = createHmac(TSIG_ALGORITHMS[key.algorithm], key.secret);
  if (requestMac !== undefined) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(requestMac.length, 0);
    hmac.update(len).update(requestMac);
  }
  hmac.update(unsigned);
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(RR_CLASS.ANY, 0); // TTL (bytes 2..5) is 0
  hmac.update(encodeName(key.name)).update(classTtl).update(encodeName(key.algorithm)).update(u48(f.timeSigned));
  const rest = Buffer.alloc(6);
  rest.writeUInt16BE(f.fudge, 0);
  rest.writeUInt16BE(f.error, 2);
  rest.writeUInt16BE(f.otherData.length, 4);
  return hmac.update(rest).update(f.otherData).digest();
}

/** Options of {@link signMessage}. */
export type SignOptions = Readonly<{
  /** Seconds since the epoch. */
  timeSigned: number;
  fudge?: number;
  error?: number;
  otherData?: Buffer;
  /** The request's MAC, when signing an answer. */
  requestMac?: Buffer;
}>;

/**
 * Appends a TSIG record to `message` (which must not have one) and bumps
 * ARCOUNT. Returns the signed bytes and the MAC (needed to verify the answer).
 *
 * @example const { message, mac } = signMessage(encodeUpdate(u), key, { timeSigned: Math.floor(Date.now() / 1000) });
 */
export function signMessage(message: Buffer, key: TsigKey, opts: SignOptions): { message: Buffer; mac: Buffer } {
  const header = decodeHeader(message);
  const f: TsigFields = { timeSigned: opts.timeSigned, fudge: opts.fudge ?? DEFAULT_FUDGE, error: opts.error ?? TSIG_ERROR.NOERROR, otherData: opts.otherData ?? Buffer.alloc(0) };
  const mac = computeTsigMac(key, message, f, opts.requestMac);
  const rr = encodeRr(canonicalName(key.name), RR_TYPE.TSIG, RR_CLASS.ANY, 0, encodeTsigRdata(key.algorithm, f, mac, header.id));
  const out = Buffer.concat([message, rr]);
  out.writeUInt16BE(header.arcount + 1, 10);
  return { message: out, mac };
}

function parseTsigRdata(buf: Buffer, span: RecordSpan): TsigRecord {
  const end = span.rdataOffset + span.rdlength;
  let o = span.rdataOffset;
  const short = (what: string) => new DnsWireError('DNS_SHORT', `TSIG rdata ends inside the ${what}`, o);
  const alg = decodeName(buf, o);
  o += alg.bytes;
  if (o + 10 > end) throw short('time, fudge and MAC size');
  const timeSigned = buf.readUInt16BE(o) * 0x100000000 + buf.readUInt32BE(o + 2);
  const fudge = buf.readUInt16BE(o + 6);
  const macSize = buf.readUInt16BE(o + 8);
  o += 10;
  if (o + macSize + 6 > end) throw short('MAC');
  const mac = Buffer.from(buf.subarray(o, o + macSize));
  o += macSize;
  const originalId = buf.readUInt16BE(o);
  const error = buf.readUInt16BE(o + 2);
  const otherLen = buf.readUInt16BE(o + 4);
  o += 6;
  if (o + otherLen !== end) throw new DnsWireError('DNS_BAD_MESSAGE', `TSIG other data is ${otherLen} bytes but the rdata has ${end - o} left`, o);
  return { keyName: span.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, otherData: Buffer.from(buf.subarray(o, end)), offset: span.offset };
}

/**
 * The TSIG record of a message, or undefined when it has none. A TSIG that is
 * not the last additional record, or a second one, is DNS_BAD_MESSAGE
 * (RFC 8945 §5.1).
 */
export function readTsig(buf: Buffer): TsigRecord | undefined {
  const { records } = scanMessage(buf);
  const i = records.findIndex((r) => r.type === RR_TYPE.TSIG);
  if (i < 0) return undefined;
  const span = records[i]!;
  if (i !== records.length - 1 || span.section !== 'additional') throw new DnsWireError('DNS_BAD_MESSAGE', 'the TSIG record must be the last additional record', span.offset);
  if (span.klass !== RR_CLASS.ANY || span.ttl !== 0) throw new DnsWireError('DNS_BAD_MESSAGE', 'a TSIG record has class ANY and TTL 0', span.offset);
  return parseTsigRdata(buf, span);
}

/** Why a signed message was not accepted. */
export type TsigProblem =
  /** No TSIG record at all. */
  | 'missing'
  /** The server refused our signature and answered unsigned (BADSIG/BADKEY with an empty MAC). */
  | 'unsigned-error'
  /** Another key name or algorithm than ours. */
  | 'bad-key'
  /** A MAC shorter than RFC 8945 §5.2.2.1 allows. */
  | 'bad-truncation'
  /** The MAC does not match: the message was altered or the key differs. */
  | 'bad-sig'
  /** Signed outside the fudge window. */
  | 'bad-time';

export type TsigVerification =
  | Readonly<{ ok: true; tsig: TsigRecord }>
  | Readonly<{ ok: false; problem: TsigProblem; reason: string; tsig?: TsigRecord }>;

/**
 * Verifies a signed message with `key` (RFC 8945 §5.3 for answers: pass the
 * request's MAC). `now` is seconds since the epoch. Never throws for a bad
 * signature; throws DnsWireError only for a malformed message.
 */
export function verifyMessage(signed: Buffer, key: TsigKey, opts: Readonly<{ now: number; requestMac?: Buffer }>): TsigVerification {
  const tsig = readTsig(signed);
  if (!tsig) return { ok: false, problem: 'missing', reason: 'the message is not signed (no TSIG record)' };
  if (tsig.mac.length === 0 && tsig.error !== TSIG_ERROR.NOERROR) {
    return { ok: false, problem: 'unsigned-error', reason: `the server could not verify the request: TSIG error ${tsigErrorName(tsig.error)}`, tsig };
  }
  if (tsig.keyName !== canonicalName(key.name)) return { ok: false, problem: 'bad-key', reason: `signed with key ${tsig.keyName}, expected ${canonicalName(key.name)}`, tsig };
  if (tsig.algorithm !== key.algorithm) return { ok: false, problem: 'bad-key', reason: `signed with ${tsig.algorithm}, expected ${key.algorithm}`, tsig };
  const full = computeTsigMac(key, unsignedPart(signed, tsig), tsig, opts.requestMac);
  // RFC 8945 §5.2.2.1: a truncated MAC keeps at least max(10, half the digest) bytes.
  if (tsig.mac.length > full.length || tsig.mac.length < Math.max(10, full.length / 2)) {
    return { ok: false, problem: 'bad-truncation', reason: `MAC of ${tsig.mac.length} bytes for ${key.algorithm} (${full.length} bytes)`, tsig };
  }
  if (!timingSafeEqual(full.subarray(0, tsig.mac.length), tsig.mac)) return { ok: false, problem: 'bad-sig', reason: 'the MAC does not match the message', tsig };
  if (Math.abs(opts.now - tsig.timeSigned) > tsig.fudge) {
    return { ok: false, problem: 'bad-time', reason: `signed at ${tsig.timeSigned}, ${opts.now - tsig.timeSigned} s from now, fudge ${tsig.fudge} s`, tsig };
  }
  return { ok: true, tsig };
}

/** The message as it was before signing: without the TSIG, ARCOUNT one less, the original id (RFC 8945 §4.3.1). */
function unsignedPart(signed: Buffer, tsig: TsigRecord): Buffer {
  const out = Buffer.from(signed.subarray(0, tsig.offset));
  out.writeUInt16BE(tsig.originalId, 0);
  out.writeUInt16BE(out.readUInt16BE(10) - 1, 10);
  return out;
}

/** The algorithm named by a `KMSGRID_DNS_TSIG` / BIND spelling (`hmac-sha256`, `HMAC-SHA256.`), or undefined. */
export function tsigAlgorithm(text: string): TsigAlgorithm | undefined {
  const t = text.toLowerCase().replace(/\.$/, '');
  return isAlgorithm(t) ? t : undefined;
}
