import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequestStub, decodeResponseStub } from '../ndr/kms-stub.codec.js';
import { loadAllVectors, loadVector } from '../testing/vectors.js';
import { KmsProtocolError } from '../wire/errors.js';
import { toHex } from '../wire/hex.js';
import { NDR64_SYNTAX } from './constants.js';
import { RpcClientConnection, type RpcClientEvent } from './client-connection.js';
import { parsePdu } from './pdu.codec.js';
import { RpcServerConnection } from './server-connection.js';

describe('RpcClientConnection reproduces vlmcs byte-exactly', () => {
  for (const x of loadAllVectors()) {
    it(x.name, () => {
      const client = x.pdus.filter((p) => p.dir === 'C');
      const server = x.pdus.filter((p) => p.dir === 'S');
      const bind = parsePdu(client[0]!.bytes);
      if (bind.kind !== 'bind') throw new Error('first PDU is not a bind');
      const offered = bind.contexts.map((c) => c.transferSyntaxes[0]!.uuid);
      const conn = new RpcClientConnection({
        ndr32: true,
        ndr64: offered.includes(NDR64_SYNTAX.uuid),
        btfn: offered.some((u) => u.startsWith('6cb71c2c')),
        multiplex: (bind.flags & 0x10) !== 0,
      });
      expect(toHex(conn.bind())).toBe(toHex(client[0]!.bytes));
      const [bound] = conn.receive(server[0]!.bytes);
      if (bound?.kind !== 'bound') throw new Error(`expected bound, got ${JSON.stringify(bound)}`);
      expect(bound.assocGroupId).toBe(Buffer.from(server[0]!.bytes).readUInt32LE(20));
      let c = 1;
      let s = 1;
      if (bound.alterContextNeeded) {
        expect(bound).toMatchObject({ ndr32: false, ndr64: true, btfn: true, btfnFeatures: 3 });
        expect(toHex(conn.alterContext())).toBe(toHex(client[c++]!.bytes));
        expect(conn.receive(server[s++]!.bytes)).toEqual([{ kind: 'context_altered', ndr32: true }]);
      }
      for (; c < client.length; c++, s++) {
        const req = parsePdu(client[c]!.bytes);
        if (req.kind !== 'request') throw new Error('expected a request');
        const syntax = req.contextId === 1 && offered.includes(NDR64_SYNTAX.uuid) ? 'ndr64' : 'ndr32';
        expect(toHex(conn.request(decodeRequestStub(req.stub, syntax)))).toBe(toHex(client[c]!.bytes));
        const resp = parsePdu(server[s]!.bytes);
        if (resp.kind !== 'response') throw new Error('expected a response');
        expect(conn.receive(server[s]!.bytes)).toEqual([
          { kind: 'result', callId: req.callId, syntax, result: decodeResponseStub(resp.stub, syntax) },
        ]);
      }
    });
  }
});

describe('RpcClientConnection against RpcServerConnection', () => {
  const pair = (server: { ndr64: boolean; btfn: boolean }, client: { ndr32: boolean; ndr64: boolean; btfn: boolean; multiplex: boolean }) => {
    const srv = new RpcServerConnection({ ...server, secondaryAddress: '1688', assocGroupId: 0x1234, maxPduSize: 5840 });
    const cli = new RpcClientConnection(client);
    const toServer = (b: Uint8Array) => {
      const evs = srv.receive(b);
      const sent = evs.flatMap((e) => (e.kind === 'send' ? [e.bytes] : []));
      return { evs, sent };
    };
    return { srv, cli, toServer };
  };

  it('NDR64-only client on an NDR64 host: first request already NDR64', () => {
    const { cli, srv, toServer } = pair({ ndr64: true, btfn: true }, { ndr32: false, ndr64: true, btfn: false, multiplex: true });
    const [ack] = toServer(cli.bind()).sent;
    expect(cli.receive(ack!)).toMatchObject([{ kind: 'bound', ndr64: true, ndr32: false, alterContextNeeded: false }]);
    const { evs } = toServer(cli.request(Uint8Array.of(9, 9)));
    expect(evs).toMatchObject([{ kind: 'call', syntax: 'ndr64', contextId: 0, callId: 2 }]);
    const out = srv.respond(2, { kind: 'error', hresult: 0x8007000d });
    expect(cli.receive(out)).toEqual([{ kind: 'result', callId: 2, syntax: 'ndr64', result: { kind: 'error', hresult: 0x8007000d } }]);
  });

  it('NDR32 client on an NDR64 host needs no alter_context', () => {
    const { cli, toServer } = pair({ ndr64: true, btfn: true }, { ndr32: true, ndr64: false, btfn: false, multiplex: false });
    const [ack] = toServer(cli.bind()).sent;
    expect(cli.receive(ack!)).toMatchObject([{ kind: 'bound', ndr32: true, ndr64: false, btfn: false, alterContextNeeded: false }]);
  });

  it('bind_nak and faults become events; garbage becomes an error event', () => {
    const { cli, toServer } = pair({ ndr64: true, btfn: true }, { ndr32: true, ndr64: true, btfn: true, multiplex: true });
    const bind = cli.bind();
    toServer(bind);
    const [nak] = toServer(bind).sent; // second bind -> bind_nak
    expect(cli.receive(nak!)).toEqual([{ kind: 'bind_rejected', callId: 2, reason: 0 }]);
    const other = new RpcClientConnection({ ndr32: true, ndr64: false, btfn: false, multiplex: false });
    other.bind();
    const evs = other.receive(Uint8Array.of(4, 0, 12, 3, 16, 0, 0, 0, 16, 0, 0, 0, 2, 0, 0, 0));
    expect(evs).toMatchObject([{ kind: 'error', error: { code: 'RPC_VERSION', offset: 0 } }]);
    expect(other.failed).toBe(true);
  });

  it('refuses requests before the bind is acknowledged (caller bug)', () => {
    const cli = new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true });
    expect(() => cli.request(new Uint8Array(4))).toThrow();
  });

  it('receive() never throws on random server bytes', () => {
    const x = loadVector('v4-win7pro-ndr64-btfn-2req');
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }), (acked, chunks) => {
        const cli = new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true });
        cli.bind();
        if (acked) cli.receive(x.pdus[1]!.bytes);
        for (const c of chunks) {
          for (const ev of cli.receive(c) as RpcClientEvent[]) {
            if (ev.kind === 'error') expect(ev.error).toBeInstanceOf(KmsProtocolError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
