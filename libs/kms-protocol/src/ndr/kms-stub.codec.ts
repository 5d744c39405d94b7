import { Reader, Writer } from '../wire/cursor.js';
import { KmsProtocolError } from '../wire/errors.js';

/**
 * NDR32 / NDR64 marshalling of KMS RequestActivation (opnum 0; vlmcsd
 * src/KMSServer.idl):
 *
 *   int RequestActivation([in] int requestSize, [in, size_is(requestSize)] unsigned char* request,
 *                         [out] int* responseSize, [out, size_is(, *responseSize)] unsigned char** response);
 *
 * Request stub:  requestSize, max_count (conformance of the array), bytes.
 * Response stub: *responseSize, referent id of *response, max_count, bytes,
 *                pad to 4, HRESULT return value.
 * In NDR64 the int is followed by 4 pad bytes (the next item is 8-aligned) and
 * pointers and conformances are 8 bytes, so each of the first fields takes 8
 * bytes (captures: `len(8) size_is(8)`).
 */
export type StubSyntax = 'ndr32' | 'ndr64';

/** Referent id Microsoft's NDR engine gives the first embedded pointer (captures: 0x00020000). */
export const NDR_FIRST_REFERENT_ID = 0x00020000;

/** Outcome of a RequestActivation call as carried in the response stub. */
export type ResponseStubResult =
  | { readonly kind: 'ok'; readonly payload: Uint8Array }
  | { readonly kind: 'error'; readonly hresult: number };

const wordSize = (syntax: StubSyntax) => (syntax === 'ndr64' ? 8 : 4);

/** Reads a 4- or 8-byte unsigned length; values that cannot be a stub length are reported by the caller. */
function readLength(r: Reader, syntax: StubSyntax, field: string): number {
  if (syntax === 'ndr32') return r.u32le(field);
  const lo = r.u32le(field);
  const hi = r.u32le(field);
  return hi === 0 ? lo : Number.POSITIVE_INFINITY;
}

function writeLength(w: Writer, syntax: StubSyntax, v: number): void {
  if (syntax === 'ndr32') w.u32le(v);
  else w.u64le(v);
}

/**
 * The KMS request payload inside a request stub (a view, no copy). Checks
 * requestSize == size_is and that the payload fits; trailing bytes are
 * tolerated (vlmcsd accepts oversized requests from buggy RPC stacks).
 *
 * @example const kmsRequest = decodeRequestStub(pdu.stub, 'ndr32');
 */
export function decodeRequestStub(stub: Uint8Array, syntax: StubSyntax): Uint8Array {
  const r = new Reader(stub);
  const len = readLength(r, syntax, 'requestSize');
  const sizeAt = r.position;
  const sizeIs = readLength(r, syntax, 'size_is');
  if (len !== sizeIs) {
    throw new KmsProtocolError('STUB_LENGTH', `requestSize ${fmt(len)} != size_is ${fmt(sizeIs)}`, sizeAt);
  }
  if (len > 0x7fffffff) throw new KmsProtocolError('STUB_LENGTH', `requestSize ${fmt(len)} is negative or too large`, 0);
  if (len > r.remaining) {
    throw new KmsProtocolError('STUB_LENGTH', `requestSize ${len} but only ${r.remaining} stub bytes follow`, r.position);
  }
  return r.bytes(len, 'request');
}

/** A request stub for `payload` (what a client sends). */
export function encodeRequestStub(payload: Uint8Array, syntax: StubSyntax): Uint8Array {
  const w = new Writer(2 * wordSize(syntax) + payload.length);
  writeLength(w, syntax, payload.length);
  writeLength(w, syntax, payload.length);
  return w.bytes(payload).finish();
}

/** Bytes of the response stub {@link writeResponseStub} writes for a payload of `payloadLength` bytes. */
export function responseStubLength(payloadLength: number, syntax: StubSyntax): number {
  const body = 3 * wordSize(syntax) + payloadLength;
  return body + ((4 - (body % 4)) % 4) + 4;
}

/** Writes a successful response stub at the writer's position (the buffer is zero-filled). */
export function writeResponseStub(w: Writer, payload: Uint8Array, syntax: StubSyntax): void {
  const pad = (4 - ((3 * wordSize(syntax) + payload.length) % 4)) % 4;
  writeLength(w, syntax, payload.length);
  writeLength(w, syntax, NDR_FIRST_REFERENT_ID);
  writeLength(w, syntax, payload.length);
  w.bytes(payload).zeros(pad).u32le(0);
}

/** A successful response stub: responseSize, referent, max_count, payload, pad, HRESULT 0. */
export function encodeResponseStub(payload: Uint8Array, syntax: StubSyntax): Uint8Array {
  const w = new Writer(responseStubLength(payload.length, syntax));
  writeResponseStub(w, payload, syntax);
  return w.finish();
}

/** Bytes of an error stub (see {@link encodeErrorStub}). */
export const errorStubLength = (syntax: StubSyntax): number => 2 * wordSize(syntax) + 4;

/** Writes an error stub at the writer's position. */
export function writeErrorStub(w: Writer, hresult: number, syntax: StubSyntax): void {
  writeLength(w, syntax, 0);
  writeLength(w, syntax, 0);
  w.u32le(hresult >>> 0);
}

/**
 * A failed call: responseSize 0, NULL response pointer, the HRESULT. This is
 * how vlmcsd (and the captures' err-* exchanges) answer a KMS request they
 * refuse: an RPC response, not a fault.
 *
 * @example encodeErrorStub(0x8007000d, 'ndr32') // 00000000 00000000 0d000780
 */
export function encodeErrorStub(hresult: number, syntax: StubSyntax): Uint8Array {
  const w = new Writer(errorStubLength(syntax));
  writeErrorStub(w, hresult, syntax);
  return w.finish();
}

/**
 * Reads a response stub: a NULL response pointer means an error HRESULT; a
 * payload with a non-zero HRESULT is also reported as an error.
 */
export function decodeResponseStub(stub: Uint8Array, syntax: StubSyntax): ResponseStubResult {
  const r = new Reader(stub);
  const len = readLength(r, syntax, 'responseSize');
  const ptrAt = r.position;
  const referent = readLength(r, syntax, 'response pointer');
  if (referent === 0) {
    const hresult = r.u32le('HRESULT');
    return { kind: 'error', hresult };
  }
  if (!Number.isFinite(referent)) throw new KmsProtocolError('NDR', 'response referent id does not fit 32 bits', ptrAt);
  const sizeAt = r.position;
  const maxCount = readLength(r, syntax, 'max_count');
  if (len !== maxCount) {
    throw new KmsProtocolError('STUB_LENGTH', `responseSize ${fmt(len)} != max_count ${fmt(maxCount)}`, sizeAt);
  }
  if (len > r.remaining) {
    throw new KmsProtocolError('STUB_LENGTH', `responseSize ${fmt(len)} but only ${r.remaining} stub bytes follow`, r.position);
  }
  const payload = r.bytes(len, 'response');
  r.align(4, 'HRESULT pad');
  const hresult = r.u32le('HRESULT');
  return hresult === 0 ? { kind: 'ok', payload } : { kind: 'error', hresult };
}

const fmt = (n: number) => (Number.isFinite(n) ? String(n) : '>= 2^32');
