import type * as KmsProtocol from '@kmsgrid/kms-protocol';
import type { Guid, KmsProtocolVersion, KmsRequest, KmsResponse, NdrSyntax, RpcServerOptions } from '@kmsgrid/kms-protocol';

/** The library's public API; a second copy (another commit) can be passed in for A/B runs. */
export type KmsProtocolLib = typeof KmsProtocol;

/** One benchmarked operation. */
export interface Case {
  readonly name: string;
  readonly version: KmsProtocolVersion;
  /** '-' for the KMS codecs, which do not depend on the NDR flavour. */
  readonly syntax: NdrSyntax | '-';
  /**
   * Untimed set-up for `n` operations; returns the timed part, which returns
   * something derived from the results so the JIT cannot drop the work.
   */
  readonly prepare: (n: number) => () => number;
}

const EPID = '03612-00206-556-123727-03-1033-17763.0000-2972018';
const HWID = Uint8Array.of(0x3a, 0x1c, 0x04, 0x96, 0x00, 0xb6, 0x00, 0x76);
const SERVER: RpcServerOptions = { ndr64: true, btfn: true, secondaryAddress: '1688', assocGroupId: 0x1234, maxPduSize: 5840 };

const responseFor = (q: KmsRequest): KmsResponse => ({
  kind: 'kms-response',
  majorVersion: q.majorVersion,
  minorVersion: q.minorVersion,
  epid: EPID,
  cmid: q.cmid,
  clientTime: q.clientTime,
  count: 50,
  activationInterval: 120,
  renewalInterval: 10080,
  ...(q.majorVersion === 6 ? { hwid: HWID } : {}),
});

/**
 * The cases of one KMS version and NDR flavour, built on `lib`: the framer,
 * receive() of a request PDU, decodeKmsRequest, encodeKmsResponse, respond(),
 * and a whole activation as a host sees it (new connection, bind as vlmcs
 * sends it, one request, decode, encode, respond).
 */
export function protocolCases(lib: KmsProtocolLib, version: KmsProtocolVersion, syntax: NdrSyntax): Case[] {
  // A Windows 10 Enterprise client as in the v6 capture (vlmcs -l "Windows 10 Enterprise").
  const request: KmsRequest = {
    kind: 'kms-request',
    majorVersion: version,
    minorVersion: 0,
    vmInfo: 0,
    licenseStatus: 2,
    bindingExpiration: 43200,
    applicationId: lib.parseGuid('55c92734-d682-4d71-983e-d6ec3f16059f'),
    skuId: lib.parseGuid('73111121-5638-40f6-bc11-f1d7b0d64300'),
    kmsCountedId: lib.parseGuid('58e2134f-8e11-4d17-9cb2-91069c151148'),
    cmid: lib.parseGuid('6f0f6a3c-1111-4aaa-8bbb-000000000006'),
    nPolicy: 25,
    clientTime: 134402916880000000n,
    previousCmid: lib.NIL_GUID as Guid,
    workstationName: 'VECTOR-V6.example.test',
  };
  const { bytes: payload } = lib.encodeKmsRequest(request, { iv: new Uint8Array(16).fill(0x11) });
  const decoded = lib.decodeKmsRequest(payload);
  const response = responseFor(decoded.request);
  const kmsResponse = lib.encodeKmsResponse(response, decoded.context);
  // vlmcs' bind: NDR32 (ctx 0), or NDR32 + NDR64 (ctx 1) + BTFN (ctx 2)
  const ctx = (contextId: number, transfer: typeof lib.NDR32_SYNTAX) => ({ contextId, abstractSyntax: lib.KMS_INTERFACE, transferSyntaxes: [transfer] });
  const contexts =
    syntax === 'ndr32'
      ? [ctx(0, lib.NDR32_SYNTAX)]
      : [ctx(0, lib.NDR32_SYNTAX), ctx(1, lib.NDR64_SYNTAX), ctx(2, lib.btfnSyntax(3))];
  const bind = lib.serializePdu({ kind: 'bind', flags: 0x13, callId: 2, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts });
  const stub = lib.encodeRequestStub(payload, syntax);
  const contextId = syntax === 'ndr32' ? 0 : 1;
  // distinct call ids, so one connection can hold many pending calls
  const pdus = Array.from({ length: 1024 }, (_, i) =>
    lib.serializePdu({ kind: 'request', flags: 3, callId: 2 + i, allocHint: stub.length, contextId, opnum: 0, stub }),
  );
  const bound = () => {
    const conn = new lib.RpcServerConnection(SERVER);
    conn.receive(bind);
    return conn;
  };
  const callOf = (conn: InstanceType<KmsProtocolLib['RpcServerConnection']>, bytes: Uint8Array) => {
    for (const ev of conn.receive(bytes)) if (ev.kind === 'call') return ev;
    throw new Error('no call event');
  };
  const label = `v${version} ${syntax}`;
  const cases: Case[] = [
    {
      name: `${label} framer.push (request PDU)`,
      version,
      syntax,
      prepare: (n) => () => {
        let sink = 0;
        const f = new lib.RpcFramer({ maxPduSize: 5840 });
        for (let i = 0; i < n; i++) sink += f.push(pdus[i & 1023]!).length;
        return sink;
      },
    },
    {
      name: `${label} bind (new connection, bind -> bind_ack)`,
      version,
      syntax,
      prepare: (n) => () => {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += new lib.RpcServerConnection(SERVER).receive(bind).length;
        return sink;
      },
    },
    {
      name: `${label} receive (framer + PDU + stub -> call)`,
      version,
      syntax,
      prepare: (n) => {
        const conns = Array.from({ length: Math.ceil(n / 1024) }, bound);
        return () => {
          let sink = 0;
          for (let done = 0; done < n; ) {
            const conn = conns[done >>> 10]!;
            const k = Math.min(1024, n - done);
            for (let i = 0; i < k; i++) sink += conn.receive(pdus[i]!).length;
            done += k;
          }
          return sink;
        };
      },
    },
    {
      name: `v${version} decodeKmsRequest`,
      version,
      syntax: '-',
      prepare: (n) => () => {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += lib.decodeKmsRequest(payload).request.nPolicy;
        return sink;
      },
    },
    {
      name: `v${version} encodeKmsResponse`,
      version,
      syntax: '-',
      prepare: (n) => () => {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += lib.encodeKmsResponse(response, decoded.context).length;
        return sink;
      },
    },
    {
      name: `${label} respond (stub + response PDU)`,
      version,
      syntax,
      prepare: (n) => {
        // connections holding n pending calls (at most 1,024 each)
        const pending: { conn: ReturnType<typeof bound>; callId: number }[] = [];
        for (let done = 0; done < n; ) {
          const conn = bound();
          const k = Math.min(1024, n - done);
          for (let i = 0; i < k; i++) pending.push({ conn, callId: callOf(conn, pdus[i]!).callId });
          done += k;
        }
        return () => {
          let sink = 0;
          for (const p of pending) sink += p.conn.respond(p.callId, { kind: 'ok', payload: kmsResponse }).length;
          return sink;
        };
      },
    },
    {
      name: `${label} activation (connection, bind, request, decode, encode, respond)`,
      version,
      syntax,
      prepare: (n) => () => {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          const conn = new lib.RpcServerConnection(SERVER);
          sink += conn.receive(bind).length;
          const ev = callOf(conn, pdus[0]!);
          const d = lib.decodeKmsRequest(ev.payload);
          const out = lib.encodeKmsResponse(responseFor(d.request), d.context);
          sink += conn.respond(ev.callId, { kind: 'ok', payload: out }).length;
        }
        return sink;
      },
    },
  ];
  return cases;
}

/** Every case: versions 4, 5, 6 x NDR32, NDR64 (the KMS codecs once per version). */
export function allCases(lib: KmsProtocolLib): Case[] {
  return ([4, 5, 6] as const).flatMap((v) =>
    (['ndr32', 'ndr64'] as const).flatMap((s) => protocolCases(lib, v, s).filter((c) => c.syntax !== '-' || s === 'ndr32')),
  );
}
