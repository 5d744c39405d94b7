import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST_KEY_IDS, HOST_KEYS, findHostKey } from '@kmsgrid/kms-catalog';
import { epidVariableName, parsePolicyConfig } from './policy-config.js';

const errorsOf = (env: Record<string, string>): readonly string[] => {
  const r = parsePolicyConfig(env);
  return r.ok ? [] : r.errors;
};
const configOf = (env: Record<string, string>) => {
  const r = parsePolicyConfig(env);
  if (!r.ok) throw new Error(r.errors.join(' | '));
  return r.config;
};

describe('parsePolicyConfig', () => {
  it('Given no variables, Then the defaults: catalog default host keys, 120 / 10080 min, 4 h tolerance, LCID 1033, build 17763 (platform 03612)', () => {
    expect(configOf({})).toEqual({
      hostKeyIds: DEFAULT_HOST_KEY_IDS,
      activationInterval: 120,
      renewalInterval: 10_080,
      clockToleranceMinutes: 240,
      epidOverrides: {},
      hwid: null,
      lcid: 1033,
      hostBuild: 17_763,
      platformId: 3612,
    });
  });

  it('Given blank values, Then they count as unset', () => {
    expect(configOf({ KMSGRID_HOST_KEYS: ' ', KMSGRID_ACTIVATION_INTERVAL: '' }).activationInterval).toBe(120);
  });

  describe('KMSGRID_HOST_KEYS', () => {
    it('Given ids with blanks, duplicates and a CSVLK Activation ID, Then the stable ids in order, once', () => {
      const csvlk = findHostKey('office-2019')!.csvlkId;
      expect(configOf({ KMSGRID_HOST_KEYS: ' windows-server-2008-r2-c ,office-2016,windows-server-2008-r2-c,' + csvlk }).hostKeyIds).toEqual([
        'windows-server-2008-r2-c',
        'office-2016',
        'office-2019',
      ]);
    });

    it('Given an unknown id, Then one error naming it and listing every valid id', () => {
      const errors = errorsOf({ KMSGRID_HOST_KEYS: 'windows-server-2019,windows-server-2099' });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^KMSGRID_HOST_KEYS names unknown host key\(s\) windows-server-2099: use comma-separated ids from /);
      for (const k of HOST_KEYS) expect(errors[0]).toContain(k.id);
    });

    it('Given only commas, Then an error', () => {
      expect(errorsOf({ KMSGRID_HOST_KEYS: ',,' })[0]).toMatch(/^KMSGRID_HOST_KEYS is empty/);
    });
  });

  describe.each(['KMSGRID_ACTIVATION_INTERVAL', 'KMSGRID_RENEWAL_INTERVAL'])('%s', (name) => {
    const field = name === 'KMSGRID_ACTIVATION_INTERVAL' ? 'activationInterval' : 'renewalInterval';
    it.each([15, 43_200, 60])('accepts %i minutes', (v) => expect(configOf({ [name]: String(v) })[field]).toBe(v));
    it.each(['14', '43201', '0', '-15', '1.5', '2h', 'abc'])('refuses %j with the valid range', (v) => {
      expect(errorsOf({ [name]: v })).toEqual([expect.stringMatching(new RegExp(`^${name}=${v.replace('.', '\\.')} is invalid: use a whole number from 15 to 43200 \\(minutes\\)`))]);
    });
  });

  describe('KMSGRID_CLOCK_TOLERANCE', () => {
    it('accepts minutes and "off"', () => {
      expect(configOf({ KMSGRID_CLOCK_TOLERANCE: '15' }).clockToleranceMinutes).toBe(15);
      expect(configOf({ KMSGRID_CLOCK_TOLERANCE: 'OFF' }).clockToleranceMinutes).toBeNull();
    });
    it.each(['0', '-1', 'never', '525601'])('refuses %j', (v) => {
      expect(errorsOf({ KMSGRID_CLOCK_TOLERANCE: v })[0]).toMatch(/^KMSGRID_CLOCK_TOLERANCE=.* is invalid: use a whole number from 1 to 525600 \(minutes, or off\)/);
    });
  });

  describe('KMSGRID_EPID_<HOST KEY>', () => {
    const epid = '03612-00206-556-123727-03-1033-17763.0000-2972018';

    it('names the variable after the host key id', () => {
      expect(epidVariableName('windows-server-2008-r2-c')).toBe('KMSGRID_EPID_WINDOWS_SERVER_2008_R2_C');
    });

    it('Given an ePID for a configured host key, Then it overrides that key only', () => {
      const c = configOf({ KMSGRID_HOST_KEYS: 'windows-server-2019,office-2019', KMSGRID_EPID_WINDOWS_SERVER_2019: epid });
      expect(c.epidOverrides).toEqual({ 'windows-server-2019': epid });
    });

    it.each(['03612-00206-556-123727-03-1033-17763-2972018', '3612-206-556-123727-03-1033-17763.0000-2972018', '03612-00206-556-123727-03-1033-17763.0000-3672018'])(
      'Given the malformed ePID %j, Then an error showing the format',
      (bad) => {
        const errors = errorsOf({ KMSGRID_HOST_KEYS: 'windows-server-2019', KMSGRID_EPID_WINDOWS_SERVER_2019: bad });
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(/^KMSGRID_EPID_WINDOWS_SERVER_2019=.* is not a valid ePID .*: use PPPPP-GGGGG-KKK-KKKKKK-03-LCID-BUILD\.0000-DDDYYYY/);
      },
    );

    it('Given an ePID for a host key not configured, Then an error listing the expected variable names', () => {
      const errors = errorsOf({ KMSGRID_HOST_KEYS: 'office-2019', KMSGRID_EPID_WINDOWS_SERVER_2019: epid });
      expect(errors).toEqual(['KMSGRID_EPID_WINDOWS_SERVER_2019 matches no configured host key: use one of KMSGRID_EPID_OFFICE_2019, or add the host key to KMSGRID_HOST_KEYS']);
    });
  });

  describe('KMSGRID_HWID', () => {
    it('Given 16 hex digits in any case, Then upper-case', () => {
      expect(configOf({ KMSGRID_HWID: '3a1c049600b60076' }).hwid).toBe('3A1C049600B60076');
    });
    it.each(['3A1C049600B6007', '3A1C049600B600761', '3A1C049600B6007G', '0x3A1C049600B600'])('refuses %j', (v) => {
      expect(errorsOf({ KMSGRID_HWID: v })[0]).toMatch(/^KMSGRID_HWID=.* is invalid: use exactly 16 hex digits/);
    });
  });

  describe('KMSGRID_LCID and KMSGRID_HOST_BUILD', () => {
    it('Given build 9600, Then platform id 06401 from the catalog', () => {
      expect(configOf({ KMSGRID_HOST_BUILD: '9600', KMSGRID_LCID: '1031' })).toMatchObject({ hostBuild: 9600, platformId: 6401, lcid: 1031 });
    });
    it.each(['0', '65536', 'en-US'])('refuses LCID %j', (v) => expect(errorsOf({ KMSGRID_LCID: v })[0]).toMatch(/^KMSGRID_LCID=.* is invalid/));
    it('Given a build the catalog does not know, Then an error suggesting server builds', () => {
      expect(errorsOf({ KMSGRID_HOST_BUILD: '12345' })).toEqual([expect.stringMatching(/^KMSGRID_HOST_BUILD=12345 is not a Windows build the catalog knows: use a server build such as .*17763.*\(default 17763\)$/)]);
    });
  });

  it('Given several bad variables, Then one single-line error each', () => {
    const errors = errorsOf({ KMSGRID_HOST_KEYS: 'nope', KMSGRID_ACTIVATION_INTERVAL: '14', KMSGRID_RENEWAL_INTERVAL: '43201', KMSGRID_HWID: 'x', KMSGRID_LCID: '0', KMSGRID_HOST_BUILD: '1' });
    expect(errors).toHaveLength(6);
    for (const e of errors) expect(e).not.toContain('\n');
  });
});
