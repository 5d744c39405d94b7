import {
  BtfnFeatures,
  ContextResult,
  KMS_INTERFACE,
  NDR32_SYNTAX,
  NDR64_SYNTAX,
  NIL_SYNTAX,
  ProviderReason,
  btfnFeaturesOf,
  sameSyntax,
  type NdrSyntax,
} from './constants.js';
import type { ContextResultItem, PresentationContext } from './pdu.types.js';

/** Which transfer syntaxes and features the host offers (vlmcsd -N / -B). */
export interface NegotiationOptions {
  readonly ndr64: boolean;
  readonly btfn: boolean;
}

export type NegotiationOutcome =
  | {
      readonly kind: 'ok';
      /** One result per proposed context, in order. */
      readonly results: readonly ContextResultItem[];
      /** Accepted presentation contexts by p_cont_id. */
      readonly accepted: ReadonlyMap<number, NdrSyntax>;
    }
  /** The proposal itself is malformed: the caller rejects the whole bind (bind_nak) or alter_context (fault). */
  | { readonly kind: 'malformed'; readonly reason: string };

const reject = (reason: number): ContextResultItem => ({
  result: ContextResult.provider_rejection,
  reason,
  transferSyntax: NIL_SYNTAX,
});

/**
 * Answers the presentation contexts of a bind or alter_context the way the
 * captures show (vlmcsd src/rpc.c mimicking Microsoft hosts):
 * - a context whose first transfer syntax is BTFN (bind only, MS-RPCE
 *   3.3.1.5.3) gets negotiate_ack with the offered features masked to 0x3, or
 *   provider_rejection reason 2 when BTFN is off;
 * - another interface than KMS v1.0: provider_rejection reason 1;
 * - NDR64 (v1) is accepted when enabled; when it is enabled and offered
 *   anywhere in the same PDU, NDR32 is rejected (reason 2) so that the client
 *   asks for it again in an alter_context (what Microsoft's and vlmcs'
 *   clients expect); otherwise NDR32 (v2) is accepted;
 * - anything else: provider_rejection reason 2.
 * Malformed proposals (no contexts, a context without transfer syntaxes, two
 * BTFN contexts) are refused as a whole, like Samba's server does after
 * testing Windows (source4/rpc_server/dcerpc_server.c).
 */
export function negotiateContexts(
  contexts: readonly PresentationContext[],
  opts: NegotiationOptions,
  pdu: 'bind' | 'alter_context',
): NegotiationOutcome {
  if (contexts.length === 0) return { kind: 'malformed', reason: 'no presentation contexts proposed' };
  if (contexts.some((c) => c.transferSyntaxes.length === 0)) {
    return { kind: 'malformed', reason: 'a presentation context without transfer syntaxes' };
  }
  const isKms = (c: PresentationContext) => sameSyntax(c.abstractSyntax, KMS_INTERFACE);
  const isBtfn = (c: PresentationContext) => pdu === 'bind' && btfnFeaturesOf(c.transferSyntaxes[0]!) !== undefined;
  if (contexts.filter(isBtfn).length > 1) return { kind: 'malformed', reason: 'more than one BTFN context' };

  const ndr64Possible =
    opts.ndr64 && contexts.some((c) => isKms(c) && !isBtfn(c) && c.transferSyntaxes.some((t) => sameSyntax(t, NDR64_SYNTAX)));
  const accepted = new Map<number, NdrSyntax>();
  const results = contexts.map((c): ContextResultItem => {
    if (isBtfn(c)) {
      if (!opts.btfn) return reject(ProviderReason.proposed_transfer_syntaxes_not_supported);
      const offered = btfnFeaturesOf(c.transferSyntaxes[0]!)!;
      const mask = BtfnFeatures.security_context_multiplexing | BtfnFeatures.keep_connection_on_orphan;
      return { result: ContextResult.negotiate_ack, reason: offered & mask, transferSyntax: NIL_SYNTAX };
    }
    if (!isKms(c)) return reject(ProviderReason.abstract_syntax_not_supported);
    if (ndr64Possible && c.transferSyntaxes.some((t) => sameSyntax(t, NDR64_SYNTAX))) {
      accepted.set(c.contextId, 'ndr64');
      return { result: ContextResult.acceptance, reason: 0, transferSyntax: NDR64_SYNTAX };
    }
    if (!ndr64Possible && c.transferSyntaxes.some((t) => sameSyntax(t, NDR32_SYNTAX))) {
      accepted.set(c.contextId, 'ndr32');
      return { result: ContextResult.acceptance, reason: 0, transferSyntax: NDR32_SYNTAX };
    }
    return reject(ProviderReason.proposed_transfer_syntaxes_not_supported);
  });
  return { kind: 'ok', results, accepted };
}
