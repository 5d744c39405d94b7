import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAllVectors, streamOf } from '../testing/vectors.js';
import { KmsProtocolError } from '../wire/errors.js';
import { toHex } from '../wire/hex.js';
import { RpcFramer } from './framer.js';

const frameAll = (chunks: Uint8Array[], maxPduSize = 5840) => {
  const f = new RpcFramer({ maxPduSize });
  return chunks.flatMap((c) => f.push(c)).map(toHex);
};

const caughtError = (f: () => unknown): KmsProtocolError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KmsProtocolError);
    return e as KmsProtocolError;
  }
  throw new Error('expected a KmsProtocolError');
};

describe('RpcFramer on the captures', () => {
  for (const x of loadAllVectors()) {
    for (const dir of ['C', 'S'] as const) {
      const expected = x.pdus.filter((p) => p.dir === dir).map((p) => toHex(p.bytes));
      const stream = streamOf(x, dir);

      it(`${x.name} ${dir}: one chunk, two chunks split at every offset, byte by byte`, () => {
        expect(frameAll([stream])).toEqual(expected);
        for (let i = 0; i <= stream.length; i++) {
          expect(frameAll([stream.subarray(0, i), stream.subarray(i)])).toEqual(expected);
        }
        expect(frameAll(Array.from(stream, (b) => Uint8Array.of(b)))).toEqual(expected);
      });
    }
  }

  it('returns a PDU lying inside one chunk as a view (no copy)', () => {
    const stream = streamOf(loadAllVectors()[0]!, 'C');
    const [first] = new RpcFramer({ maxPduSize: 5840 }).push(stream);
    expect(first!.buffer).toBe(stream.buffer);
  });

  it('stays linear for many PDUs in 1-byte chunks', () => {
    const pdu = loadAllVectors()[0]!.pdus[0]!.bytes;
    const many = Buffer.concat(Array.from({ length: 2000 }, () => pdu));
    const f = new RpcFramer({ maxPduSize: 5840 });
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; i < many.length; i++) n += f.push(many.subarray(i, i + 1)).length;
    expect(n).toBe(2000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('RpcFramer header checks (stream offsets)', () => {
  const good = loadAllVectors()[0]!.pdus[0]!.bytes; // a 160-byte bind
  const bad = (at: number, ...v: number[]) => {
    const c = Uint8Array.from(good);
    c.set(v, at);
    return c;
  };

  it('wrong RPC version, after one good PDU, reports the stream offset', () => {
    const f = new RpcFramer({ maxPduSize: 5840 });
    const out = f.push(Buffer.concat([good, bad(0, 4)]));
    expect(out.length).toBe(1); // the good PDU first
    expect(f.error).toMatchObject({ code: 'RPC_VERSION', offset: 160 });
    expect(caughtError(() => f.push(new Uint8Array(0)))).toMatchObject({ code: 'RPC_VERSION', offset: 160 });
    expect(toHex(f.pendingHeader!)).toBe(toHex(bad(0, 4).subarray(0, 16)));
  });

  it('checks the header as soon as 16 bytes are in', () => {
    const f = new RpcFramer({ maxPduSize: 5840 });
    const b = bad(2, 99);
    for (let i = 0; i < 15; i++) expect(f.push(b.subarray(i, i + 1))).toEqual([]);
    expect(caughtError(() => f.push(b.subarray(15, 16)))).toMatchObject({ code: 'PDU_TYPE', offset: 2 });
  });

  it('frag_length below the header size', () =>
    expect(caughtError(() => new RpcFramer({ maxPduSize: 5840 }).push(bad(8, 8, 0)))).toMatchObject({ code: 'FRAG_LENGTH', offset: 8 }));

  it('frag_length above maxPduSize', () =>
    expect(caughtError(() => new RpcFramer({ maxPduSize: 100 }).push(good))).toMatchObject({ code: 'FRAG_LENGTH', offset: 8 }));

  it('keeps a partial PDU until the rest arrives', () => {
    const f = new RpcFramer({ maxPduSize: 5840 });
    expect(f.push(good.subarray(0, 100))).toEqual([]);
    expect(f.bufferedBytes).toBe(100);
    expect(f.push(good.subarray(100)).map(toHex)).toEqual([toHex(good)]);
    expect(f.offset).toBe(160);
  });
});

describe('RpcFramer fuzz', () => {
  it('random bytes in random chunks never throw anything but KmsProtocolError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const f = new RpcFramer({ maxPduSize: 300 });
        for (const c of chunks) {
          try {
            for (const pdu of f.push(c)) expect(pdu.length).toBeGreaterThanOrEqual(16);
          } catch (e) {
            expect(e).toBeInstanceOf(KmsProtocolError);
            return;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('any chunking of valid PDUs yields the same PDUs', () => {
    const stream = streamOf(loadAllVectors()[3]!, 'C');
    const expected = frameAll([stream]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((p, i) => stream.subarray(points[i]!, p));
        expect(frameAll(chunks)).toEqual(expected);
      }),
    );
  });
});
