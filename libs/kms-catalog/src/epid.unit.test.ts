import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epidDateParts, epidForHostKey, findHostKey, formatEpid, keyIdFromUniform, keyIdInBlocks, parseEpid, HOST_KEYS, type EpidParts } from './index.js';

describe('formatEpid / parseEpid (kms-facts §8)', () => {
  it('formats the ePIDs of the captured vectors', () => {
    expect(formatEpid({ platformId: 3612, groupId: 206, keyId: 556123727, lcid: 1033, build: 17763, dayOfYear: 297, year: 2018 })).toEqual({
      ok: true,
      value: '03612-00206-556-123727-03-1033-17763.0000-2972018',
    });
    expect(formatEpid({ platformId: 3612, groupId: 206, keyId: 684137669, lcid: 1033, build: 17763, dayOfYear: 297, year: 2018 })).toEqual({
      ok: true,
      value: '03612-00206-684-137669-03-1033-17763.0000-2972018',
    });
  });

  it("parses Microsoft's /dli example", () => {
    const r = parseEpid('55041-00140-015-871562-03-1033-7078.0000-0992009');
    expect(r).toEqual({ ok: true, value: { platformId: 55041, groupId: 140, keyId: 15871562, lcid: 1033, build: 7078, dayOfYear: 99, year: 2009, channel: '03' } });
  });

  it('round-trips any valid parts', () => {
    const parts = fc.record({
      platformId: fc.integer({ min: 0, max: 99999 }),
      groupId: fc.integer({ min: 0, max: 99999 }),
      keyId: fc.integer({ min: 0, max: 999999999 }),
      lcid: fc.integer({ min: 1, max: 65535 }),
      build: fc.integer({ min: 1, max: 99999 }),
      dayOfYear: fc.integer({ min: 1, max: 365 }),
      year: fc.integer({ min: 1000, max: 9999 }),
    });
    fc.assert(
      fc.property(parts, (p: EpidParts) => {
        const text = formatEpid(p);
        if (!text.ok) return false;
        const back = parseEpid(text.value);
        return back.ok && JSON.stringify({ ...back.value, channel: undefined }) === JSON.stringify({ ...p, channel: undefined }) && back.value.channel === '03';
      }),
    );
  });

  it('refuses out-of-range parts with a typed error', () => {
    const good: EpidParts = { platformId: 3612, groupId: 206, keyId: 1, lcid: 1033, build: 17763, dayOfYear: 1, year: 2024 };
    for (const bad of [
      { groupId: 100000 },
      { keyId: 1e9 },
      { keyId: -1 },
      { lcid: 0 },
      { build: 1.5 },
      { dayOfYear: 0 },
      { dayOfYear: 366, year: 2023 },
      { year: 999 },
      { platformId: Number.NaN },
    ]) {
      const r = formatEpid({ ...good, ...bad });
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('EPID_FIELD');
    }
    expect(formatEpid({ ...good, dayOfYear: 366, year: 2024 }).ok).toBe(true);
  });

  it('refuses malformed text', () => {
    for (const t of ['', 'x', '03612-00206-556-123727-03-1033-17763-2972018', '03612-00206-556-12372-03-1033-17763.0000-2972018', '03612-00206-556-123727-03-1033-17763.0000-0002018']) {
      const r = parseEpid(t);
      expect(r.ok, t).toBe(false);
    }
    const r = parseEpid('nope');
    expect(!r.ok && r.error.code).toBe('EPID_FORMAT');
  });

  it('epidDateParts is 1-based and UTC', () => {
    expect(epidDateParts(new Date('2018-01-01T00:00:00Z'))).toEqual({ dayOfYear: 1, year: 2018 });
    expect(epidDateParts(new Date('2018-10-24T23:59:59Z'))).toEqual({ dayOfYear: 297, year: 2018 });
    expect(epidDateParts(new Date('2024-12-31T12:00:00Z'))).toEqual({ dayOfYear: 366, year: 2024 });
  });
});

describe('ePID ingredients per host key', () => {
  it('the vector ePIDs fit the host keys vlmcsd used (WS2019, Office 2019, Office 2013)', () => {
    const cases: [string, string][] = [
      ['windows-server-2019', '03612-00206-556-123727-03-1033-17763.0000-2972018'],
      ['office-2019', '03612-00206-684-137669-03-1033-17763.0000-2972018'],
      ['office-2013', '03612-00206-240-719639-03-1033-17763.0000-2972018'],
    ];
    for (const [id, epid] of cases) {
      const key = findHostKey(id)!;
      const p = parseEpid(epid);
      expect(p.ok).toBe(true);
      if (!p.ok) continue;
      expect(p.value.groupId).toBe(key.epid.groupId);
      expect(keyIdInBlocks(p.value.keyId, key.epid.keyIdBlocks), id).toBe(true);
      expect(epidForHostKey(key, { keyId: p.value.keyId, lcid: 1033, hostBuild: 17763, activationDate: new Date('2018-10-24T00:00:00Z') })).toEqual({ ok: true, value: epid });
    }
  });

  it('uses the default host build and its platform id', () => {
    const r = epidForHostKey('windows-server-2012-r2', { keyId: 271000000, lcid: 1031, activationDate: new Date('2013-10-18T00:00:00Z') });
    expect(r).toEqual({ ok: true, value: '06401-00206-271-000000-03-1031-9600.0000-2912013' });
    const ws2025 = epidForHostKey('windows-server-2025', { keyId: 20000, lcid: 1033, activationDate: new Date('2024-11-01T00:00:00Z') });
    expect(ws2025).toEqual({ ok: true, value: '03612-04919-000-020000-03-1033-26100.0000-3062024' });
  });

  it('refuses key ids outside the blocks, unknown builds and unknown keys', () => {
    const date = new Date('2022-01-01T00:00:00Z');
    const hole = epidForHostKey('windows-server-2022', { keyId: 25000, lcid: 1033, activationDate: date });
    expect(!hole.ok && hole.error.code).toBe('KEY_ID_RANGE');
    const build = epidForHostKey('windows-server-2022', { keyId: 30000, lcid: 1033, activationDate: date, hostBuild: 12345 });
    expect(!build.ok && build.error.code).toBe('UNKNOWN_HOST_BUILD');
    const unknown = epidForHostKey('no-such-key', { keyId: 1, lcid: 1033, activationDate: date });
    expect(!unknown.ok && unknown.error.code).toBe('UNKNOWN_HOST_KEY');
    const badDate = epidForHostKey('windows-server-2022', { keyId: 30000, lcid: 1033, activationDate: new Date('x') });
    expect(!badDate.ok && badDate.error.code).toBe('EPID_FIELD');
  });

  it('keyIdFromUniform stays inside the blocks (skipping holes) for every host key', () => {
    for (const key of HOST_KEYS) {
      const blocks = key.epid.keyIdBlocks;
      for (const u of [0, 0.25, 0.5, 0.999999, 1, -1, Number.NaN]) expect(keyIdInBlocks(keyIdFromUniform(blocks, u), blocks), `${key.id} ${u}`).toBe(true);
    }
    const ws2022 = findHostKey('windows-server-2022')!.epid.keyIdBlocks;
    fc.assert(fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (u) => {
      const id = keyIdFromUniform(ws2022, u);
      return keyIdInBlocks(id, ws2022) && !(id >= 20000 && id <= 29999);
    }));
  });

  it('every host key yields a well-formed ePID with its defaults', () => {
    for (const key of HOST_KEYS) {
      const r = epidForHostKey(key, { keyId: keyIdFromUniform(key.epid.keyIdBlocks, 0.5), lcid: 1033, activationDate: new Date(`${key.epid.releaseDate}T00:00:00Z`) });
      expect(r.ok, key.id).toBe(true);
      if (r.ok) expect(r.value).toMatch(/^\d{5}-\d{5}-\d{3}-\d{6}-03-1033-\d{4,5}\.0000-\d{7}$/);
    }
  });
});
