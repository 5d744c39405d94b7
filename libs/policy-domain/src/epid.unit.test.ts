import { describe, expect, it } from 'vitest';
import { formatEpidParts, parseEpid, utcDayOfYear } from './epid.js';

describe('ePID', () => {
  it('Given the ePID from Microsoft\'s /dli sample, When parsed, Then every part is read', () => {
    expect(parseEpid('55041-00140-015-871562-03-1033-7078.0000-0992009')).toEqual({
      platformId: 55041,
      groupId: 140,
      keyId: 15_871_562,
      channel: 3,
      lcid: 1033,
      hostBuild: 7078,
      dayOfYear: 99,
      year: 2009,
    });
  });

  it('round-trips a five-digit build', () => {
    const text = '03612-00206-556-123456-03-1033-17763.0000-0012026';
    const parts = parseEpid(text);
    expect(parts).not.toBeNull();
    expect(formatEpidParts(parts!)).toBe(text);
  });

  it.each([
    '',
    '3612-00206-556-123456-03-1033-17763.0000-0012026',
    '03612-00206-556-123456-03-1033-17763-0012026',
    '03612-00206-556-123456-03-1033-17763.0000-0002026',
    '03612-00206-556-123456-03-1033-17763.0000-3672026',
    '03612-00206-556-123456-03-1033-17763.0001-0012026',
    ' 03612-00206-556-123456-03-1033-17763.0000-0012026',
  ])('refuses %j', (text) => expect(parseEpid(text)).toBeNull());

  it('counts the day of the year in UTC', () => {
    expect(utcDayOfYear(new Date('2026-01-01T00:00:00Z'))).toBe(1);
    expect(utcDayOfYear(new Date('2026-12-31T23:59:59Z'))).toBe(365);
    expect(utcDayOfYear(new Date('2024-12-31T12:00:00Z'))).toBe(366);
  });
});
