import { randomInt } from 'node:crypto';
import {
  DnsExchangeError,
  DnsWireError,
  exchange,
  OPCODE,
  RCODE,
  rcodeName,
  TSIG_ERROR,
  tsigErrorName,
  type DnsServer,
  type DnsTransport,
  type ExchangeOptions,
  type RcodeName,
  type TsigErrorName,
} from '@kmsgrid/dns-client';
import { decodeHeader } from '../wire/message.js';
import { signMessage, verifyMessage, type TsigKey, type TsigProblem } from '../wire/tsig.js';
import { encodeUpdate, type UpdateMessage } from '../wire/update-message.js';

/** The server's answer to an UPDATE. */
export type UpdateAnswer = Readonly<{
  rcode: RcodeName;
  /** TSIG error of the answer, when not NOERROR (BADSIG, BADKEY, BADTIME). */
  tsigError?: TsigErrorName;
  /** The answer carried a valid MAC over our request's MAC (always true for NOERROR). */
  verified: boolean;
  /** Why it could not be verified, when `verified` is false. */
  verifyProblem?: TsigProblem;
  /** The server's clock from a BADTIME answer (seconds since the epoch). */
  serverTime?: number;
  transport: DnsTransport;
}>;

export type UpdateErrorKind = 'timeout' | 'network' | 'malformed' | 'unverified';

/**
 * An UPDATE that got no usable answer: `timeout`/`network` (nothing came back),
 * `malformed` (the answer could not be read), `unverified` (a success answer
 * whose TSIG is missing or wrong: a forged or altered answer is never taken
 * for a success).
 */
export class DnsUpdateError extends Error {
  override readonly name = 'DnsUpdateError';
  constructor(
    readonly kind: UpdateErrorKind,
    message: string,
    readonly transport?: DnsTransport,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link sendUpdate}. */
export type SendUpdateOptions = ExchangeOptions &
  Readonly<{
    key: TsigKey;
    /** Clock in milliseconds since the epoch (tests inject it). */
    now?: () => number;
    fudge?: number;
  }>;

/**
 * Signs `update` with TSIG, sends it, and verifies the signed answer (RFC 8945
 * §5.3). Resolves with the answer whatever its RCODE; rejects only with
 * {@link DnsUpdateError}.
 *
 * @example const a = await sendUpdate(server, { id: 0, zone, prerequisites: [], updates }, { key }); if (a.rcode !== 'NOERROR') ...
 */
export async function sendUpdate(server: DnsServer, update: Omit<UpdateMessage, 'id'> & { id?: number }, opts: SendUpdateOptions): Promise<UpdateAnswer> {
  const now = opts.now ?? Date.now;
  const id = update.id ?? randomInt(0, 0x10000);
  const unsigned = encodeUpdate({ ...update, id });
  const signed = signMessage(unsigned, opts.key, { timeSigned: Math.floor(now() / 1000), ...(opts.fudge !== undefined && { fudge: opts.fudge }) });
  let result;
  try {
    result = await exchange(server, signed.message, opts);
  } catch (e) {
    if (e instanceof DnsExchangeError) throw new DnsUpdateError(e.kind, e.message, e.transport, { cause: e });
    throw e;
  }
  const { response, transport } = result;
  try {
    const header = decodeHeader(response);
    if (header.opcode !== OPCODE.UPDATE) throw new DnsWireError('DNS_BAD_MESSAGE', `answer opcode ${header.opcode} is not UPDATE`, 2);
    const check = verifyMessage(response, opts.key, { now: Math.floor(now() / 1000), requestMac: signed.mac });
    const rcode = rcodeName(header.rcode);
    const tsig = check.tsig;
    const tsigError = tsig && tsig.error !== TSIG_ERROR.NOERROR ? tsigErrorName(tsig.error) : undefined;
    const serverTime = tsig?.error === TSIG_ERROR.BADTIME && tsig.otherData.length === 6 ? tsig.otherData.readUInt16BE(0) * 0x100000000 + tsig.otherData.readUInt32BE(2) : undefined;
    if (check.ok) return { rcode, verified: true, transport, ...(tsigError && { tsigError }), ...(serverTime !== undefined && { serverTime }) };
    if (header.rcode === RCODE.NOERROR) {
      throw new DnsUpdateError('unverified', `the server's success answer failed TSIG verification (${check.problem}): ${check.reason}`, transport);
    }
    // A refusal we cannot authenticate is still a refusal; record it as unverified.
    return { rcode, verified: false, verifyProblem: check.problem, transport, ...(tsigError && { tsigError }), ...(serverTime !== undefined && { serverTime }) };
  } catch (e) {
    if (e instanceof DnsUpdateError) throw e;
    if (e instanceof DnsWireError) throw new DnsUpdateError('malformed', `the answer is malformed: ${e.message}`, transport, { cause: e });
    throw e;
  }
}
