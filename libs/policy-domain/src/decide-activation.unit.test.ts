import { describe, expect, it } from 'vitest';
import { policyDecideReplyCodec } from '@kmsgrid/contracts';
import { findHostKey } from '@kmsgrid/kms-catalog';
import { answerActivation, decideActivation, MAX_N_POLICY, refuseReply, toLedgerDecision, type PolicyDecision } from './decide-activation.js';
import { POLICY_HRESULTS } from './hresults.js';
import { PolicyServiceError } from './policy-errors.js';
import { configWith, fileTime, kmsItemById, kmsItemOf, NOW, requestFor, TICKS_PER_MINUTE } from './testing/fixtures.js';

const ID_MISMATCH = POLICY_HRESULTS.kmsIdMismatch;
const INVALID_DATA = POLICY_HRESULTS.invalidData;
const BAD_TIME = POLICY_HRESULTS.invalidTimestamp;

const hostWith = (...hostKeyIds: string[]) => configWith({ KMSGRID_HOST_KEYS: hostKeyIds.join(',') });
const decideFor = (productName: string, config = configWith()): PolicyDecision => decideActivation(requestFor(kmsItemOf(productName)), config, NOW);
const expectRefused = (d: PolicyDecision, hresult: number, rule: string): void => {
  expect(d).toMatchObject({ kind: 'refuse', hresult, rule });
};
const expectCounted = (d: PolicyDecision, hostKeyId?: string): void => {
  expect(d.kind, d.kind === 'refuse' ? d.reason : '').toBe('count');
  if (hostKeyId !== undefined && d.kind === 'count') expect(d.hostKey.id).toBe(hostKeyId);
};

describe('decideActivation: protocol version', () => {
  const win10 = kmsItemOf('Windows 10 Enterprise');

  it.each([4, 5, 6])('Given a v%i request, Then it is counted', (major) => {
    expectCounted(decideActivation(requestFor(win10, {}, { major, minor: 0 }), configWith(), NOW));
  });

  it.each([
    [0, 0],
    [3, 0],
    [7, 0],
    [65535, 65535],
  ])('Given version %i.%i, Then 0x8007000D', (major, minor) => {
    const d = decideActivation(requestFor(win10, {}, { major, minor }), configWith(), NOW);
    expectRefused(d, INVALID_DATA, 'version');
    expect(d.kind === 'refuse' && d.reason).toContain(`${major}.${minor}`);
  });

  it('Given a v6 request whose body was not decoded, Then 0x8007000D', () => {
    const { request: _dropped, ...noBody } = requestFor(win10);
    expectRefused(decideActivation(noBody, configWith(), NOW), INVALID_DATA, 'version');
  });
});

describe('decideActivation: product known and covered', () => {
  it('Given an unknown KMS counted ID, Then 0xC004F042', () => {
    const req = requestFor(kmsItemOf('Windows 10 Enterprise'), { kmsCountedId: 'deadbeef-0000-4000-8000-000000000000' });
    expectRefused(decideActivation(req, configWith(), NOW), ID_MISMATCH, 'unknown-product');
  });

  it('Given a known KMS ID with an unknown SKU ID, Then it is counted (hosts decide by KMS ID, kms-facts section 13)', () => {
    const req = requestFor(kmsItemOf('Windows 10 Enterprise'), { skuId: '12345678-9abc-4def-8123-456789abcdef' });
    expectCounted(decideActivation(req, configWith(), NOW));
  });

  it('Given an Office KMS ID sent with the Windows application ID, Then 0xC004F042', () => {
    const office = kmsItemOf('Office Professional Plus 2019');
    const windows = kmsItemOf('Windows 10 Enterprise');
    const req = requestFor(office, { applicationId: windows.applicationId });
    expectRefused(decideActivation(req, configWith(), NOW), ID_MISMATCH, 'application-mismatch');
  });

  it('Given a host with only a Windows Vista host key, Then Windows 7 is refused with 0xC004F042 and Vista is counted', () => {
    const vistaOnly = hostWith('windows-vista-client-vl');
    expectRefused(decideFor('Windows 7 Professional', vistaOnly), ID_MISMATCH, 'not-covered');
    expectRefused(decideFor('Windows 7 Enterprise', vistaOnly), ID_MISMATCH, 'not-covered');
    expectCounted(decideFor('Windows Vista Business', vistaOnly), 'windows-vista-client-vl');
    expectCounted(decideFor('Windows Vista Enterprise', vistaOnly), 'windows-vista-client-vl');
  });

  const r2GroupC = hostWith('windows-server-2008-r2-c');
  it.each([
    'Windows Server 2008 R2 Web',
    'Windows Server 2008 R2 HPC edition',
    'Windows Server 2008 R2 Standard',
    'Windows Server 2008 R2 Enterprise',
    'Windows Server 2008 R2 Datacenter',
    'Windows Server 2008 R2 for Itanium-based Systems',
    'Windows 7 Professional',
    'Windows 7 Enterprise',
    'Windows Web Server 2008',
    'Windows Server 2008 HPC',
    'Windows Server 2008 Standard',
    'Windows Server 2008 Enterprise',
    'Windows Server 2008 Datacenter',
    'Windows Server 2008 for Itanium-Based Systems',
    'Windows Vista Business',
    'Windows Vista Enterprise',
  ])('Given a Server 2008 R2 group C key, When %s asks, Then it is counted', (product) => {
    expectCounted(decideFor(product, r2GroupC), 'windows-server-2008-r2-c');
  });

  it.each(['Windows 8.1 Enterprise', 'Windows Server 2012 R2 Datacenter', 'Windows 10 Enterprise', 'Office Professional Plus 2010'])(
    'Given a Server 2008 R2 group C key, When the newer or other-application %s asks, Then 0xC004F042',
    (product) => expectRefused(decideFor(product, r2GroupC), ID_MISMATCH, 'not-covered'),
  );

  it('Given a Server 2008 R2 group B key, Then Datacenter and Itanium are refused and Standard/Enterprise/Web counted', () => {
    const groupB = hostWith('windows-server-2008-r2-b');
    expectRefused(decideFor('Windows Server 2008 R2 Datacenter', groupB), ID_MISMATCH, 'not-covered');
    expectRefused(decideFor('Windows Server 2008 R2 for Itanium-based Systems', groupB), ID_MISMATCH, 'not-covered');
    expectRefused(decideFor('Windows Server 2008 Datacenter', groupB), ID_MISMATCH, 'not-covered');
    for (const p of ['Windows Server 2008 R2 Standard', 'Windows Server 2008 R2 Enterprise', 'Windows Server 2008 R2 Web', 'Windows 7 Enterprise']) {
      expectCounted(decideFor(p, groupB), 'windows-server-2008-r2-b');
    }
  });

  it('Given only Windows host keys, Then Office products are refused; an Office host key of that release counts them', () => {
    const windowsOnly = hostWith('windows-server-2025');
    expectRefused(decideFor('Office Professional Plus 2019', windowsOnly), ID_MISMATCH, 'not-covered');
    expectRefused(decideFor('Office Professional Plus 2010', windowsOnly), ID_MISMATCH, 'not-covered');
    expectCounted(decideFor('Office Professional Plus 2019', hostWith('windows-server-2025', 'office-2019')), 'office-2019');
    expectCounted(decideFor('Office Professional Plus 2010', hostWith('office-2010')), 'office-2010');
  });

  it('Given an Office 2016 host key, Then Office 2019 is refused (one host key per Office release)', () => {
    expectRefused(decideFor('Office Professional Plus 2019', hostWith('office-2016')), ID_MISMATCH, 'not-covered');
  });

  it('Given the default host keys, Then current Windows and every Office release are counted', () => {
    for (const p of ['Windows 11 Enterprise', 'Windows Server 2025 Datacenter', 'Windows Server 2008 R2 Web', 'Office Professional Plus 2010', 'Office LTSC Professional Plus 2021']) {
      expectCounted(decideFor(p));
    }
  });

  it('Given a retail KMS ID known to the catalog, Then 0xC004F042 (genuine hosts refuse retail)', () => {
    expectRefused(decideActivation(requestFor(kmsItemById('bbb97b3b-8ca4-4a28-9717-89fabd42c4ac')), configWith(), NOW), ID_MISMATCH, 'not-covered');
  });
});

describe('decideActivation: client clock', () => {
  const item = kmsItemOf('Windows 10 Enterprise');
  const at = (ticks: bigint, config = configWith()) => decideActivation(requestFor(item, { clientTime: ticks.toString() }), config, NOW);
  const tolerance = 240n * TICKS_PER_MINUTE;

  it('Given a clock exactly 4 h ahead or behind, Then it is counted', () => {
    expectCounted(at(fileTime(NOW) + tolerance));
    expectCounted(at(fileTime(NOW) - tolerance));
  });

  it('Given a clock 4 h plus 100 ns ahead or behind, Then 0xC004F06C', () => {
    const ahead = at(fileTime(NOW) + tolerance + 1n);
    expectRefused(ahead, BAD_TIME, 'clock-skew');
    expect(ahead.kind === 'refuse' && ahead.reason).toContain('ahead');
    const behind = at(fileTime(NOW) - tolerance - 1n);
    expectRefused(behind, BAD_TIME, 'clock-skew');
    expect(behind.kind === 'refuse' && behind.reason).toContain('behind');
  });

  it('Given a clock of 0 or the largest FILETIME, Then 0xC004F06C', () => {
    expectRefused(at(0n), BAD_TIME, 'clock-skew');
    expectRefused(at(2n ** 64n - 1n), BAD_TIME, 'clock-skew');
  });

  it('Given a client time that is not a decimal FILETIME (a caller skipping the contract), Then 0xC004F06C, not an exception', () => {
    expectRefused(decideActivation(requestFor(item, { clientTime: '12abc' }), configWith(), NOW), BAD_TIME, 'clock-skew');
  });

  it('Given a 15-minute tolerance, Then 16 minutes off is refused', () => {
    const tight = configWith({ KMSGRID_CLOCK_TOLERANCE: '15' });
    expectCounted(at(fileTime(NOW) + 15n * TICKS_PER_MINUTE, tight));
    expectRefused(at(fileTime(NOW) + 16n * TICKS_PER_MINUTE, tight), BAD_TIME, 'clock-skew');
  });

  it('Given the check is off, Then any clock is counted', () => {
    expectCounted(at(0n, configWith({ KMSGRID_CLOCK_TOLERANCE: 'off' })));
  });
});

describe('decideActivation: N-policy', () => {
  const item = kmsItemOf('Windows Server 2022 Standard');
  const withN = (nPolicy: number) => decideActivation(requestFor(item, { nPolicy }), configWith(), NOW);

  it.each([0, 1, 5, 25, MAX_N_POLICY])('Given N-policy %i, Then it is counted', (n) => expectCounted(withN(n)));

  it.each([MAX_N_POLICY + 1, 0xffffffff])('Given N-policy %i, Then 0x8007000D', (n) => expectRefused(withN(n), INVALID_DATA, 'n-policy'));
});

describe('decideActivation: rule order', () => {
  const item = kmsItemOf('Windows 10 Enterprise');

  it('Given an unknown version and everything else wrong, Then the version rule answers', () => {
    const req = requestFor(item, { kmsCountedId: 'deadbeef-0000-4000-8000-000000000000', clientTime: '0', nPolicy: 5000 }, { major: 3, minor: 0 });
    expectRefused(decideActivation(req, configWith(), NOW), INVALID_DATA, 'version');
  });

  it('Given an uncovered product with a bad clock, Then 0xC004F042 comes before 0xC004F06C', () => {
    const req = requestFor(item, { clientTime: '0' });
    expectRefused(decideActivation(req, hostWith('office-2019'), NOW), ID_MISMATCH, 'not-covered');
  });

  it('Given a bad clock and an absurd N-policy, Then 0xC004F06C comes first', () => {
    expectRefused(decideActivation(requestFor(item, { clientTime: '0', nPolicy: 5000 }), configWith(), NOW), BAD_TIME, 'clock-skew');
  });
});

describe('answerActivation and mappers', () => {
  const config = configWith({ KMSGRID_ACTIVATION_INTERVAL: '60', KMSGRID_RENEWAL_INTERVAL: '1440', KMSGRID_HOST_KEYS: 'windows-server-2019' });
  const decision = decideActivation(requestFor(kmsItemOf('Windows Server 2019 Datacenter')), config, NOW);
  if (decision.kind !== 'count') throw new Error('fixture: expected a count decision');
  const identity = { hostKeyId: 'windows-server-2019', epid: '03612-00206-556-123727-03-1033-17763.0000-2972018', hwid: '3A1C049600B60076' };

  it('Given a counted request and the ledger count, Then the reply carries ePID, HWID, count and intervals and fits the contract', () => {
    const reply = answerActivation(decision, { count: 10, newClient: true }, identity, config);
    expect(reply).toEqual({ kind: 'activate', epid: identity.epid, hwid: identity.hwid, count: 10, activationInterval: 60, renewalInterval: 1440 });
    expect(policyDecideReplyCodec.check(reply)).toEqual(reply);
  });

  it('Given the identity of another host key, Then a typed internal error, not a wrong ePID', () => {
    const other = { ...identity, hostKeyId: 'office-2019' };
    expect(() => answerActivation(decision, { count: 10, newClient: false }, other, config)).toThrow(PolicyServiceError);
  });

  it('maps decisions to the ledger and refusals to the ingress reply', () => {
    expect(toLedgerDecision(decision)).toEqual({ kind: 'count', hostKeyId: 'windows-server-2019' });
    const refused = decideActivation(requestFor(kmsItemOf('Office Professional Plus 2019')), config, NOW);
    if (refused.kind !== 'refuse') throw new Error('fixture: expected a refusal');
    expect(toLedgerDecision(refused)).toEqual({ kind: 'refused', hresult: ID_MISMATCH, reason: refused.reason });
    const reply = refuseReply(refused);
    expect(policyDecideReplyCodec.check(reply)).toEqual({ kind: 'refuse', hresult: 0xc004f042, reason: refused.reason });
  });

  it('finds the covering key by the catalog rule', () => {
    expect(findHostKey('windows-server-2019')?.covers).toContain(decision.kmsItem.id);
  });
});
