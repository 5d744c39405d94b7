import fc from 'fast-check';
import type { Guid } from '../wire/guid.js';
import { PfcFlags, type SyntaxId } from './constants.js';
import type { ContextResultItem, PresentationContext, RpcPdu } from './pdu.types.js';

/** fast-check generators for valid PDUs (test-only). */
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const guid = fc.uuid().map((s) => s.toLowerCase() as Guid);
const syntax: fc.Arbitrary<SyntaxId> = fc.record({ uuid: guid, version: u32 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const context: fc.Arbitrary<PresentationContext> = fc.record({
  contextId: u16,
  abstractSyntax: syntax,
  transferSyntaxes: fc.array(syntax, { maxLength: 3 }),
});
const result: fc.Arbitrary<ContextResultItem> = fc.record({ result: u16, reason: u16, transferSyntax: syntax });
const common = { callId: u32 };

const bindLike = (kind: 'bind' | 'alter_context') =>
  fc.record({ kind: fc.constant(kind), flags: u8, ...common, maxXmitFrag: u16, maxRecvFrag: u16, assocGroupId: u32, contexts: fc.array(context, { maxLength: 4 }) });

const ackLike = (kind: 'bind_ack' | 'alter_context_resp') =>
  fc
    .record({ flags: u8, ...common, maxXmitFrag: u16, maxRecvFrag: u16, assocGroupId: u32, secondaryAddress: bytes(12), padSeed: bytes(3), results: fc.array(result, { maxLength: 4 }) })
    .map(({ padSeed, ...r }) => {
      const need = (4 - ((26 + r.secondaryAddress.length) % 4)) % 4;
      const pad = new Uint8Array(need);
      pad.set(padSeed.subarray(0, need));
      return { kind, ...r, secondaryAddressPad: pad };
    });

export const arbPdu: fc.Arbitrary<RpcPdu> = fc.oneof(
  bindLike('bind'),
  bindLike('alter_context'),
  ackLike('bind_ack'),
  ackLike('alter_context_resp'),
  fc.record({ kind: fc.constant('bind_nak' as const), flags: u8, ...common, rejectReason: u16, versions: fc.array(fc.record({ major: u8, minor: u8 }), { maxLength: 3 }), trailer: bytes(8) }),
  fc
    .record({ flags: u8, ...common, allocHint: u32, contextId: u16, opnum: u16, objectUuid: guid, stub: bytes(64) })
    .map(({ objectUuid, ...r }) =>
      r.flags & PfcFlags.OBJECT_UUID ? { kind: 'request' as const, ...r, objectUuid } : { kind: 'request' as const, ...r },
    ),
  fc.record({ kind: fc.constant('response' as const), flags: u8, ...common, allocHint: u32, contextId: u16, cancelCount: u8, stub: bytes(64) }),
  fc.record({ kind: fc.constant('fault' as const), flags: u8, ...common, allocHint: u32, contextId: u16, cancelCount: u8, faultFlags: u8, status: u32, stub: bytes(16) }),
);
