import { KmsProtocolError } from '../wire/errors.js';
import { RPC_HEADER_LENGTH } from './constants.js';
import { parseRpcHeader } from './pdu.codec.js';
import type { RpcHeader } from './pdu.types.js';

/**
 * Cuts a TCP byte stream into complete PDUs on frag_length (C706 §12.6.3.1).
 * Each header is checked as soon as its 16 bytes are in (version 5.0, a PDU
 * type we handle, 16 <= frag_length <= maxPduSize); a bad header throws a
 * {@link KmsProtocolError} whose offset is the position in the stream.
 *
 * Chunks are queued, not concatenated: a PDU that lies inside one chunk is
 * returned as a view, one spanning chunks is copied once. Linear in the
 * stream length whatever the chunking.
 *
 * If complete PDUs precede a bad header in the same push, they are returned
 * and the error is kept in {@link RpcFramer.error}; every later push throws it.
 *
 * @example
 * const framer = new RpcFramer({ maxPduSize: 5840 });
 * socket.on('data', (c) => framer.push(c).forEach(handlePdu));
 */
export class RpcFramer {
  private readonly maxPduSize: number;
  private chunks: Uint8Array[] = [];
  private head = 0; // index of the first chunk still holding unread bytes
  private headOffset = 0; // bytes already consumed from chunks[head]
  private buffered = 0;
  private streamOffset = 0; // stream offset of the PDU being assembled
  private header: RpcHeader | undefined;
  private headerBytes: Uint8Array | undefined;
  private failure: KmsProtocolError | undefined;

  constructor(opts: { maxPduSize: number }) {
    this.maxPduSize = Math.min(0xffff, opts.maxPduSize);
  }

  /** The error that stopped framing, if any. */
  get error(): KmsProtocolError | undefined {
    return this.failure;
  }

  /** The 16 header bytes of the PDU being assembled (or whose header failed), once they are in. */
  get pendingHeader(): Uint8Array | undefined {
    return this.headerBytes;
  }

  /** Stream offset of the first byte not yet returned in a PDU. */
  get offset(): number {
    return this.streamOffset;
  }

  /** Bytes received but not yet returned in a PDU. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.header === undefined) {
        if (this.buffered < RPC_HEADER_LENGTH) break;
        this.headerBytes = this.peek(RPC_HEADER_LENGTH);
        try {
          this.header = parseRpcHeader(this.headerBytes, 0, this.maxPduSize);
        } catch (e) {
          const err = e as KmsProtocolError;
          this.failure = new KmsProtocolError(err.code, err.reason, this.streamOffset + err.offset, { cause: err });
          if (out.length === 0) throw this.failure;
          break;
        }
      }
      const need = this.header.fragLength;
      if (this.buffered < need) break;
      out.push(this.take(need));
      this.streamOffset += need;
      this.header = undefined;
      this.headerBytes = undefined;
    }
    if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Copy of the next n buffered bytes without consuming them (n is small: the header). */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    let i = this.head;
    let off = this.headOffset;
    while (got < n) {
      const c = this.chunks[i]!;
      const k = Math.min(n - got, c.length - off);
      out.set(c.subarray(off, off + k), got);
      got += k;
      i++;
      off = 0;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[this.head]!;
    if (first.length - this.headOffset >= n) {
      const v = first.subarray(this.headOffset, this.headOffset + n);
      this.advance(first, n);
      return v;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[this.head]!;
      const k = Math.min(n - got, c.length - this.headOffset);
      out.set(c.subarray(this.headOffset, this.headOffset + k), got);
      got += k;
      this.advance(c, k);
    }
    return out;
  }

  private advance(c: Uint8Array, k: number): void {
    this.headOffset += k;
    if (this.headOffset === c.length) {
      this.chunks[this.head] = EMPTY; // let the chunk be collected
      this.head++;
      this.headOffset = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
