import { describe, expect, it } from 'vitest';
import { isLoopback, parseArgs, parseDuration, parseTarget, type BenchOptions } from './args.js';

const run = (argv: string[]): BenchOptions => {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(r)}`);
  return r.options;
};
const error = (argv: string[]): string => {
  const r = parseArgs(argv);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  return r.message;
};

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1.5', 1500],
    ['0', 0],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 's', '-1s', '10h', '1e3'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('parseTarget and isLoopback', () => {
  it('reads HOST:PORT and [IPv6]:PORT', () => {
    expect(parseTarget('127.0.0.1:1688')).toEqual({ host: '127.0.0.1', port: 1688 });
    expect(parseTarget('[::1]:1688')).toEqual({ host: '::1', port: 1688 });
    expect(parseTarget('localhost:0')).toBeUndefined();
    expect(parseTarget('127.0.0.1')).toBeUndefined();
  });
  it('knows loopback', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', 'example.org', '::'].some(isLoopback)).toBe(false);
  });
});

describe('parseArgs', () => {
  it('has the documented defaults', () => {
    const o = run(['ingress-only']);
    expect(o).toMatchObject({
      scenario: 'ingress-only',
      concurrency: [1, 8, 64, 256],
      durationMs: 10_000,
      warmupMs: 2000,
      timeoutMs: 5000,
      pool: 100_000,
      threads: 1,
      json: false,
      record: false,
      build: true,
    });
    expect(o.protocolMix.entries.map((e) => `${e.key}:${e.weight}`)).toEqual(['v4:1', 'v5:1', 'v6:2']);
    expect(o.productMix.entries.map((e) => `${e.key}:${e.weight}`)).toEqual(['client:3', 'server:1', 'office:1']);
    expect(Number.isInteger(o.seed)).toBe(true);
  });

  it('reads every option, with or without =', () => {
    const o = run([
      'target', '127.0.0.1:1688', '--concurrency=4,16', '--duration', '3s', '--warmup=0', '--timeout', '2s', '--mix', 'v6',
      '--products', 'office:1', '--pool', '50', '--seed', '7', '--threads', '2', '--host-pid', '10,11', '--json', '--record', '--no-build', '--source', 'worktree',
    ]);
    expect(o).toMatchObject({
      scenario: 'target',
      target: { host: '127.0.0.1', port: 1688 },
      concurrency: [4, 16],
      durationMs: 3000,
      warmupMs: 0,
      timeoutMs: 2000,
      pool: 50,
      seed: 7,
      threads: 2,
      hostPids: [10, 11],
      json: true,
      record: true,
      build: false,
      source: 'worktree',
    });
  });

  it('takes --prefill for the Postgres scenarios only', () => {
    expect(run(['all-in-one', '--postgres', '--prefill', '1000000']).prefill).toBe(1_000_000);
    expect(run(['split', '--prefill', '5']).prefill).toBe(5);
  });

  it('takes the held-connections mode', () => {
    expect(run(['ingress-only', '--connections-held', '10000']).connectionsHeld).toBe(10_000);
  });

  it.each([
    [[], 'name a scenario: ingress-only, all-in-one, split, target'],
    [['nope'], 'unknown scenario "nope" (use ingress-only, all-in-one, split, target)'],
    [['target'], 'target needs HOST:PORT'],
    [['target', '10.1.2.3:1688'], 'target 10.1.2.3:1688: the benchmark only loads this machine (127.0.0.0/8, ::1, localhost)'],
    [['target', 'x'], 'target "x": use HOST:PORT or [IPv6]:PORT'],
    [['ingress-only', '--concurrency', '0'], '--concurrency takes positive integers up to 10000, comma-separated'],
    [['ingress-only', '--duration', '1h'], '--duration 1h: use a duration from 100 ms to 600 s, like 10s or 500ms'],
    [['ingress-only', '--mix', 'v3:1'], '--mix: unknown "v3" (use v4, v5, v6)'],
    [['ingress-only', '--products', 'desktop:1'], '--products: unknown "desktop" (use client, server, office)'],
    [['ingress-only', '--pool'], '--pool needs a value'],
    [['ingress-only', '--frobnicate'], 'unknown option --frobnicate'],
    [['all-in-one', '--no-build'], '--no-build runs the apps as built in the working tree: add --source worktree'],
    [['all-in-one', '--source', 'tip'], '--source takes head or worktree'],
    [['split', '--postgres'], '--postgres applies to all-in-one (split always uses Postgres)'],
    [['all-in-one', '--prefill', '10'], '--prefill applies to all-in-one --postgres and split'],
    [['split', '--prefill', '0'], '--prefill takes 1 to 10000000'],
    [['target', '127.0.0.1:1688', '--profile'], '--profile needs a host the benchmark starts (not target or --in-process)'],
    [['ingress-only', '--in-process', '--connections-held', '5'], '--connections-held needs the host in its own process (drop --in-process)'],
  ])('rejects %j', (argv, message) => expect(error(argv)).toBe(message));

  it('answers help', () => expect(parseArgs(['all-in-one', '--help'])).toEqual({ kind: 'help' }));
});
