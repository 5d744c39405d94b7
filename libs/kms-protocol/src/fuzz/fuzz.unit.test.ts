import { describe, expect, it } from 'vitest';
import { KmsProtocolError } from '../wire/errors.js';
import { buildCorpus, pduFields } from './corpus.js';
import { formatReport, fuzzCase, runFuzz } from './fuzzer.js';
import { mutate } from './mutate.js';
import { Prng } from './prng.js';
import { FuzzFailure, Recorder } from './recorder.js';
import { FUZZ_TARGETS } from './targets.js';

// CI tier of the fuzz run (issue 4); the full run is `npm run fuzz -- --count 1000000 --seed N`.
const SEED = Number(process.env['KMS_FUZZ_SEED'] ?? 0x4b4d5346) >>> 0;
const COUNT = Number(process.env['KMS_FUZZ_COUNT'] ?? 10_000);

const corpus = buildCorpus();

describe('fuzz harness', () => {
  it('the PRNG is deterministic per (seed, index) and spreads its values', () => {
    const a = Prng.forInput(7, 123);
    const b = Prng.forInput(7, 123);
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs);
    expect(Prng.forInput(7, 124).u32()).not.toBe(xs[0]);
    expect(Prng.forInput(8, 123).u32()).not.toBe(xs[0]);
    const p = new Prng(1);
    const buckets = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) buckets[p.int(8)]!++;
    for (const n of buckets) expect(n).toBeGreaterThan(800);
  });

  it('finds the length fields of every captured PDU where they are', () => {
    for (const s of corpus.pdus) {
      const frag = pduFields(s.bytes).find((f) => f.name === 'frag_length')!;
      expect(s.bytes[frag.at]! | (s.bytes[frag.at + 1]! << 8)).toBe(s.bytes.length);
      for (const f of s.fields.filter((x) => x.name === 'stub.requestSize' || x.name === 'stub.responseSize')) {
        // requestSize / responseSize: the KMS payload length (or 0 for an error stub)
        expect([0, 252, 260, 160, 228]).toContain(s.bytes[f.at]! | (s.bytes[f.at + 1]! << 8));
      }
    }
    expect(corpus.kmsRequests.length).toBeGreaterThan(8);
    expect(corpus.kmsResponses.length).toBeGreaterThan(8);
  });

  it('mutations change the input and regenerate identically', () => {
    const seed = corpus.pdus[0]!;
    const one = mutate(Prng.forInput(1, 1), seed, corpus.pdus);
    expect(mutate(Prng.forInput(1, 1), seed, corpus.pdus)).toEqual(one);
    let changed = 0;
    for (let i = 0; i < 200; i++) {
      const m = mutate(Prng.forInput(2, i), seed, corpus.pdus);
      if (m.length !== seed.bytes.length || m.some((x, j) => x !== seed.bytes[j])) changed++;
    }
    expect(changed).toBeGreaterThan(180);
  });

  it('treats KmsProtocolError as a result and anything else as a finding', () => {
    const rec = new Recorder();
    expect(rec.decode('d', () => { throw new KmsProtocolError('TRUNCATED', 'x', 0); })).toBeUndefined();
    expect(rec.codes.get('TRUNCATED')).toBe(1);
    expect(() => rec.decode('d', () => { throw new TypeError('boom'); })).toThrow(FuzzFailure);
    expect(() => rec.step('s', () => { throw new KmsProtocolError('TRUNCATED', 'x', 0); })).toThrow(FuzzFailure);
  });

  it('regenerates an input from its index alone', () => {
    const a = fuzzCase(99, 4321, corpus);
    expect(fuzzCase(99, 4321, corpus).describe()).toBe(a.describe());
  });
});

describe('fuzz run (CI tier)', () => {
  it(`${COUNT} inputs, seed ${SEED}: no escaping exception, no broken invariant, no input over 50 ms of CPU`, () => {
    const report = runFuzz({ seed: SEED, count: COUNT, maxInputMs: 50, maxTotalMs: 60_000, corpus });
    console.log(formatReport(report));
    expect(report.findings).toEqual([]);
    // every target got inputs and every decoder both accepted and refused some
    for (const t of FUZZ_TARGETS) expect(report.inputsByTarget[t.name]).toBeGreaterThan(COUNT / 40);
    for (const d of ['parsePdu', 'decodeKmsRequest', 'decodeKmsResponse', 'decodeRequestStub(ndr32)', 'decodeResponseStub(ndr64)']) {
      expect(report.decoders[d]!.ok, d).toBeGreaterThan(0);
      expect(report.decoders[d]!.rejected, d).toBeGreaterThan(0);
    }
    expect(report.seed).toBe(SEED);
    expect(report.count).toBe(COUNT);
  });
});
