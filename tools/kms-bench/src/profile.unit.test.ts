import { describe, expect, it } from 'vitest';
import { areaOf, summarizeProfile, type CpuProfile } from './profile.js';
import { SourceMap, decodeVlq } from './sourcemap.js';

describe('decodeVlq', () => {
  it.each([
    ['A', [0]],
    ['C', [1]],
    ['D', [-1]],
    ['gB', [16]],
    ['AAgBC', [0, 0, 16, 1]],
    ['2HwK', [123, 168]],
  ])('%s -> %j', (text, values) => expect(decodeVlq(text)).toEqual(values));
});

describe('SourceMap', () => {
  // Line 0: col 0 -> a.ts:1, col 10 -> b.ts:5. Line 1: col 2 -> b.ts:6.
  const map = new SourceMap(['a.ts', 'b.ts'], 'AAAA,UCIA;EACA');
  it('finds the segment at or before a column', () => {
    expect(map.lookup(0, 0)).toEqual({ source: 'a.ts', line: 1 });
    expect(map.lookup(0, 9)).toEqual({ source: 'a.ts', line: 1 });
    expect(map.lookup(0, 12)).toEqual({ source: 'b.ts', line: 5 });
    expect(map.lookup(1, 4)).toEqual({ source: 'b.ts', line: 6 });
    expect(map.lookup(5, 0)).toBeUndefined();
  });
});

describe('areaOf', () => {
  it.each([
    ['libs/kms-protocol/src/crypto/rijndael.ts:141', 'encryptBlock', 'KMS crypto (AES, CMAC, HMAC, SHA-256)'],
    ['libs/kms-protocol/src/rpc/framer.ts:70', 'push', 'RPC/NDR framing and wire helpers'],
    ['node_modules/nats/lib/nats-base-client/protocol.js:10', 'processMsg', 'NATS and transport'],
    ['node_modules/pg-protocol/dist/parser.js:3', 'parse', 'Postgres client (pg, kysely)'],
    ['node:net:1', 'onread', 'node sockets and streams'],
    ['', '(garbage collector)', 'GC'],
    ['', 'JSONStringify', 'builtins / native'],
    ['node_modules/left-pad/index.js:1', 'pad', 'package left-pad'],
  ])('%s %s -> %s', (loc, fn, area) => expect(areaOf(loc, fn)).toBe(area));

  it('uses the URL when a package maps to its own sources, and knows WebAssembly is PGlite', () => {
    expect(areaOf('node_modules/.pnpm/async-mutex/index.mjs:7', 'f', 'file:///w/node_modules/@electric-sql/pglite/dist/index.js')).toBe('PGlite (embedded Postgres, WASM)');
    expect(areaOf('wasm://wasm/022aac12', 'wasm-function[4171]', 'wasm://wasm/022aac12')).toBe('PGlite (embedded Postgres, WASM)');
  });
});

describe('summarizeProfile', () => {
  // root -> decideAndEncode -> encodeKmsResponse -> encryptBlock; root -> (idle); root -> (garbage collector)
  const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
      { id: 2, callFrame: frame('decideAndEncode', 'file:///x/main.js', 10), children: [3] },
      { id: 3, callFrame: frame('encodeKmsResponse', 'file:///x/main.js', 20), children: [4] },
      { id: 4, callFrame: frame('encryptBlock', 'file:///x/main.js', 30) },
      { id: 5, callFrame: frame('(idle)') },
      { id: 6, callFrame: frame('(garbage collector)') },
    ],
    startTime: 1_000_000,
    samples: [4, 4, 3, 5, 6, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  };
  const locate = (_url: string, line: number) => (line === 30 ? 'libs/kms-protocol/src/crypto/rijndael.ts:141' : `libs/kms-protocol/src/kms/x.ts:${line}`);

  it('splits busy time by area, function and stage, idle apart', () => {
    const s = summarizeProfile(profile, locate, { process: 'p', file: 'f' });
    expect([s.busyMs, s.idleMs]).toEqual([5, 1]);
    expect(s.categories[0]).toEqual({ name: 'KMS crypto (AES, CMAC, HMAC, SHA-256)', ms: 3, percent: 60 });
    expect(s.functions[0]!.name).toBe('encryptBlock libs/kms-protocol/src/crypto/rijndael.ts:141');
    expect(s.stages).toContainEqual({ name: 'encode + encrypt response (encodeKmsResponse)', ms: 4, percent: 80 });
  });

  it('counts only samples inside the windows', () => {
    // Samples end at 1.001, 1.002, ... 1.006 s; keep the last three (idle, GC, encryptBlock).
    const s = summarizeProfile(profile, locate, { process: 'p', file: 'f' }, [{ fromUs: 1_003_500, toUs: 1_006_000 }]);
    expect([s.busyMs, s.idleMs]).toEqual([2, 1]);
  });
});
