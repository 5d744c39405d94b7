/** Why a DNS message could not be built or read. */
export type DnsWireErrorCode =
  /** A value given to an encoder is out of range (name too long, bad address, port > 65535). */
  | 'DNS_BAD_ARGUMENT'
  /** The message ends before a field it announces. */
  | 'DNS_SHORT'
  /** A domain name is malformed (bad label length, bad compression pointer). */
  | 'DNS_BAD_NAME'
  /** The message is well framed but breaks a rule (TSIG not last, wrong section counts). */
  | 'DNS_BAD_MESSAGE';

/**
 * A DNS message that cannot be encoded or decoded, with the byte offset where
 * decoding stopped (when there is one).
 *
 * @example try { scanMessage(buf) } catch (e) { if (e instanceof DnsWireError) log(e.code, e.offset) }
 */
export class DnsWireError extends Error {
  override readonly name = 'DnsWireError';
  constructor(
    readonly code: DnsWireErrorCode,
    readonly reason: string,
    readonly offset?: number,
    options?: { cause?: unknown },
  ) {
    super(offset === undefined ? reason : `${reason} (at byte ${offset})`, options);
  }
}
