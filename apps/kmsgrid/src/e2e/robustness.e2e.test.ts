// Hostile and broken input over TCP while a correct client is being served:
// every bad connection gets its clear answer (bind_nak, fault, HRESULT) or is
// closed, and the correct client's activations all succeed meanwhile.
//
// What the answers are: libs/kms-protocol RpcServerConnection (RPC level) and
// ADR 0003 (KMS level: unreadable requests of a known version -- bad CMAC/HMAC,
// bad padding, wrong length -- are answered 0x8007000D by the ingress and not
// recorded; unknown versions are refused 0x8007000D by the policy and recorded).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, type ActivateResult } from '@kmsgrid/kms-client';
import { BindNakReason, NcaStatus, RpcClientConnection, encodeRequestStub, serializePdu } from '@kmsgrid/kms-protocol';
import { postgresStorage, type HostStorage, type TestHost } from './testing/hosts.js';
import { RawConnection, kmsRequestPayload, verifyAnswer } from './testing/raw-connection.js';

const INVALID_DATA = 0x8007000d;
const IDLE_TIMEOUT_S = 6;
/** Long enough for a close the host decides on its own (idle timeout) on a busy CI machine. */
const CLOSE_WAIT_MS = 20_000;

let storage: HostStorage;
let h: TestHost;
beforeAll(async () => {
  storage = postgresStorage('robust');
  h = await storage.start({ KMSGRID_IDLE_TIMEOUT: String(IDLE_TIMEOUT_S) });
});
afterAll(async () => {
  await storage?.dispose();
});

/**
 * A correct client activating in a loop (two at a time, a new connection and
 * CMID each time, as Windows machines do) until stopped.
 */
function correctClient(target: string): { stop(): Promise<ActivateResult[]> } {
  const results: ActivateResult[] = [];
  let stopping = false;
  let minimum = 0;
  const loop = async (): Promise<void> => {
    while (!stopping || results.length < minimum) {
      results.push(await activate({ target, product: 'Windows 10 Enterprise', timeoutMs: 15_000 }));
    }
  };
  const loops = [loop(), loop()];
  return {
    async stop() {
      // A few more after the hostile part, so the client is served "meanwhile" for sure.
      minimum = results.length + 4;
      stopping = true;
      await Promise.all(loops);
      return results;
    },
  };
}

/** Runs `hostile` while the correct client runs; the client must never fail. */
async function whileServing(hostile: () => Promise<void>): Promise<void> {
  const client = correctClient(h.target);
  try {
    await hostile();
  } finally {
    const results = await client.stop();
    const failed = results.filter((r) => !r.ok).map((r) => r.failure?.message);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(4);
  }
}

/** The connection ends, having received nothing or exactly the one reject PDU expected. */
async function expectRejectedOrClosed(c: RawConnection, reject?: 'bind_nak' | 'fault'): Promise<void> {
  expect(await c.waitClosed(CLOSE_WAIT_MS)).toBe(true);
  const pdus = c.receivedPdus();
  if (reject === undefined) expect(pdus.map((p) => p.kind)).toEqual([]);
  else expect(pdus.map((p) => p.kind)).toEqual([reject]);
}

const open = () => RawConnection.open(h.port);
/** The bind Windows sends (NDR32, NDR64, BTFN). */
const bindBytes = () => new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true }).bind();

describe('garbage', () => {
  it('an HTTP request gets a proto_error fault and a close', async () => {
    await whileServing(async () => {
      const c = await open();
      c.write(Buffer.from('GET / HTTP/1.1\r\nHost: kms\r\n\r\n'));
      await expectRejectedOrClosed(c, 'fault');
      expect(c.receivedPdus()[0]).toMatchObject({ kind: 'fault', status: NcaStatus.proto_error });
    });
  }, 60_000);

  it('random bytes (not RPC version 5) and a short burst ended by FIN are closed', async () => {
    await whileServing(async () => {
      const random = await open();
      const noise = randomBytes(4096);
      noise[0] = 0xff; // never RPC version 5
      random.write(noise);
      const short = await open();
      short.write(Buffer.from([5, 0, 11]));
      short.end();
      await Promise.all([expectRejectedOrClosed(random, 'fault'), expectRejectedOrClosed(short)]);
    });
  }, 60_000);
});

describe('truncated PDUs', () => {
  it('a bind cut short by FIN is closed without an answer', async () => {
    await whileServing(async () => {
      const c = await open();
      c.write(bindBytes().subarray(0, 30));
      c.end();
      await expectRejectedOrClosed(c);
    });
  }, 60_000);

  it('a bind cut short and held open is closed by the idle timeout', async () => {
    await whileServing(async () => {
      const c = await open();
      c.write(bindBytes().subarray(0, 30));
      await expectRejectedOrClosed(c);
    });
  }, 60_000);

  it('a bind whose frag_length cuts its body gets bind_nak (protocol error) and a close', async () => {
    await whileServing(async () => {
      const c = await open();
      const bind = Buffer.from(bindBytes());
      bind.writeUInt16LE(24, 8); // frag_length: header + 8 bytes, the context list is cut off
      c.write(bind);
      await expectRejectedOrClosed(c, 'bind_nak');
      expect(c.receivedPdus()[0]).toMatchObject({ kind: 'bind_nak', rejectReason: BindNakReason.protocol_version_not_supported });
    });
  }, 60_000);

  it('a request cut short by FIN after a good bind is closed without an answer', async () => {
    await whileServing(async () => {
      const c = await open();
      await c.bind();
      const pdu = c.rpc.request(kmsRequestPayload({ product: 'Windows 7 Enterprise', workstation: 'cut.e2e.test' }).bytes);
      c.write(pdu.subarray(0, pdu.length - 40));
      c.end();
      expect(await c.waitClosed(CLOSE_WAIT_MS)).toBe(true);
    });
  }, 60_000);
});

describe('oversized PDUs', () => {
  it('a bind announcing frag_length 60000 (> the 8192-byte maximum) gets bind_nak and a close, before its body arrives', async () => {
    await whileServing(async () => {
      const c = await open();
      const header = Buffer.from(bindBytes().subarray(0, 16));
      header.writeUInt16LE(60_000, 8);
      c.write(header);
      await expectRejectedOrClosed(c, 'bind_nak');
    });
  }, 60_000);

  it('an oversized request after a good bind gets a proto_error fault and a close', async () => {
    await whileServing(async () => {
      const c = await open();
      await c.bind();
      const pdu = Buffer.from(c.rpc.request(new Uint8Array(9000)));
      c.write(pdu);
      expect(await c.waitClosed(CLOSE_WAIT_MS)).toBe(true);
      const pdus = c.receivedPdus();
      expect(pdus.at(-1)).toMatchObject({ kind: 'fault', status: NcaStatus.proto_error });
    });
  }, 60_000);
});

describe('requests the ingress cannot read (ADR 0003: 0x8007000D, not recorded)', () => {
  /** Sum of refused requests over every count group. */
  const failedTotal = async () => (await h.host.ledger.status()).applications.reduce((n, a) => n + a.requests.failed, 0);

  for (const protocol of [4, 5, 6] as const) {
    it(`a v${protocol} request with one byte flipped (bad ${protocol === 4 ? 'CMAC' : 'HMAC/hash'}) gets 0x8007000D; the connection then activates`, async () => {
      await whileServing(async () => {
        const failedBefore = await failedTotal();
        const c = await open();
        await c.bind();
        const workstation = `badmac-v${protocol}.e2e.test`;
        const good = kmsRequestPayload({ product: 'Windows 7 Enterprise', protocol, workstation });
        const tampered = Buffer.from(good.bytes);
        // v4: LicenseStatus in the clear body (MAC over it); v5/v6: a byte of the encrypted body.
        const at = protocol === 4 ? 8 : 4 + 16 + 8;
        tampered[at] = (tampered[at] as number) ^ 0x01;
        expect(await c.call(tampered)).toEqual({ kind: 'error', hresult: INVALID_DATA });
        // The same connection is still good for a correct request.
        const again = kmsRequestPayload({ product: 'Windows 7 Enterprise', protocol, workstation: `good-after-${workstation}` });
        const response = verifyAnswer(await c.call(again.bytes), again.context);
        expect(response.cmid).toBe(again.request.cmid);
        c.destroy();
        // Nothing of the tampered request was recorded.
        const { clients } = await h.host.ledger.listClients({ workstation: 'badmac-' });
        expect(clients.filter((x) => x.cmid === good.request.cmid || x.workstationName === workstation)).toEqual([]);
        expect(await failedTotal()).toBe(failedBefore);
      });
    }, 60_000);
  }

  it('a v4 request of the wrong length gets 0x8007000D', async () => {
    await whileServing(async () => {
      const c = await open();
      await c.bind();
      const { bytes } = kmsRequestPayload({ product: 'Windows 7 Enterprise', protocol: 4, workstation: 'short.e2e.test' });
      expect(await c.call(bytes.subarray(0, bytes.length - 16))).toEqual({ kind: 'error', hresult: INVALID_DATA });
      c.destroy();
    });
  }, 60_000);

  it('an unknown protocol version is refused 0x8007000D by the policy and recorded as a failed request', async () => {
    await whileServing(async () => {
      const failedBefore = await failedTotal();
      const c = await open();
      await c.bind();
      const payload = Buffer.from(kmsRequestPayload({ product: 'Windows 7 Enterprise', protocol: 6, workstation: 'v7.e2e.test' }).bytes);
      payload.writeUInt16LE(7, 2); // major version 7
      expect(await c.call(payload)).toEqual({ kind: 'error', hresult: INVALID_DATA });
      c.destroy();
      expect(await failedTotal()).toBe(failedBefore + 1);
    });
  }, 60_000);
});

describe('protocol order', () => {
  it('a request before bind gets a proto_error fault and a close', async () => {
    await whileServing(async () => {
      const c = await open();
      const stub = encodeRequestStub(kmsRequestPayload({ product: 'Windows 7 Enterprise', workstation: 'nobind.e2e.test' }).bytes, 'ndr32');
      c.write(serializePdu({ kind: 'request', flags: 0x03, callId: 2, allocHint: stub.length, contextId: 0, opnum: 0, stub }));
      await expectRejectedOrClosed(c, 'fault');
      expect(c.receivedPdus()[0]).toMatchObject({ kind: 'fault', callId: 2, status: NcaStatus.proto_error });
    });
  }, 60_000);
});

describe('idle connections', () => {
  it('300 idle connections are held while the correct client is served, then closed by the idle timeout', async () => {
    const idle: RawConnection[] = [];
    try {
      await whileServing(async () => {
        for (let i = 0; i < 300; i++) idle.push(await open());
        // Half of them bound, as a client that went quiet after the bind.
        await Promise.all(idle.slice(0, 150).map((c) => c.bind()));
        // The kernel completes handshakes before the host accepts them: wait for the host to hold them all.
        const deadline = Date.now() + 10_000;
        while (h.host.ingress.stats().connectionsActive < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(h.host.ingress.stats().connectionsActive).toBeGreaterThanOrEqual(300);
        expect(idle.filter((c) => !c.isOpen)).toHaveLength(0);
      });
      const closed = await Promise.all(idle.map((c) => c.waitClosed(CLOSE_WAIT_MS)));
      expect(closed.filter((x) => !x)).toHaveLength(0);
    } finally {
      for (const c of idle) c.destroy();
    }
  }, 90_000);
});
