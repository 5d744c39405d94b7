import type { LedgerRecordRequest } from '@kmsgrid/contracts';
import { PolicyServiceError } from '@kmsgrid/policy-domain';
import { describe, expect, it } from 'vitest';
import { createHostKeyIdentityStore } from './host-key-identity.store.js';
import { createPolicyService, type LedgerPort } from './policy.service.js';
import { NOW, WINDOWS_11_LTSC_2024, WINDOWS_SERVER_2019, configWith, requestFor, untouchableStore } from './testing/fixtures.js';

const EPID = '03612-00206-556-123456-03-1033-17763.0000-0012026';
const configured = configWith({ KMSGRID_HOST_KEYS: 'windows-server-2019', KMSGRID_EPID_WINDOWS_SERVER_2019: EPID, KMSGRID_HWID: '3A1C049600B60076' });

const recordingLedger = (count = 12) => {
  const received: LedgerRecordRequest[] = [];
  const ledger: LedgerPort = { record: async (r) => (received.push(r), { count, newClient: false }) };
  return { ledger, received };
};

describe('createPolicyService (direct calls)', () => {
  it('needs no event store for operator-configured identities', async () => {
    const identities = createHostKeyIdentityStore({ store: untouchableStore });
    const [identity] = await identities.load(configured);
    expect(identity).toMatchObject({ epid: EPID, hwid: '3A1C049600B60076', epidSource: 'configured', hwidSource: 'configured' });
    const { ledger } = recordingLedger();
    const reply = await createPolicyService({ config: configured, ledger, identities, clock: () => NOW }).decide(requestFor(WINDOWS_SERVER_2019));
    expect(reply).toEqual({ kind: 'activate', epid: EPID, hwid: '3A1C049600B60076', count: 12, activationInterval: 120, renewalInterval: 10_080 });
  });

  it('does not count a request it could not answer (identities not loaded)', async () => {
    const identities = createHostKeyIdentityStore({ store: untouchableStore });
    const { ledger, received } = recordingLedger();
    const policy = createPolicyService({ config: configured, ledger, identities, clock: () => NOW });
    const err = await policy.decide(requestFor(WINDOWS_SERVER_2019)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyServiceError);
    expect(err).toMatchObject({ code: 'KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE' });
    expect(received).toEqual([]);
    // A refusal needs no identity and is still recorded.
    await expect(policy.decide(requestFor(WINDOWS_11_LTSC_2024))).resolves.toMatchObject({ kind: 'refuse', hresult: 0xc004f042 });
    expect(received.map((r) => r.decision.kind)).toEqual(['refused']);
    expect(() => policy.status()).toThrow(PolicyServiceError);
  });

  it('turns any ledger port failure into KMSG_ERR_POLICY_LEDGER_UNAVAILABLE', async () => {
    const identities = createHostKeyIdentityStore({ store: untouchableStore });
    await identities.load(configured);
    const ledger: LedgerPort = { record: () => Promise.reject(new Error('connection reset')) };
    const policy = createPolicyService({ config: configured, ledger, identities, clock: () => NOW });
    await expect(policy.decide(requestFor(WINDOWS_SERVER_2019))).rejects.toMatchObject({ code: 'KMSG_ERR_POLICY_LEDGER_UNAVAILABLE' });
  });

  it('records an unknown version without a request body', async () => {
    const identities = createHostKeyIdentityStore({ store: untouchableStore });
    const { ledger, received } = recordingLedger();
    const policy = createPolicyService({ config: configured, ledger, identities, clock: () => NOW });
    const { request: _body, ...bodiless } = requestFor(WINDOWS_SERVER_2019);
    await expect(policy.decide({ ...bodiless, version: { major: 7, minor: 0 } })).resolves.toMatchObject({ kind: 'refuse', hresult: 0x8007000d });
    expect(received).toHaveLength(1);
    expect('request' in received[0]!).toBe(false);
  });
});

describe('createHostKeyIdentityStore (no I/O)', () => {
  it('rejects a host key the catalog does not know with KMSG_ERR_POLICY_CONFIG_INVALID and keeps the cache empty', async () => {
    const identities = createHostKeyIdentityStore({ store: untouchableStore });
    await expect(identities.load({ ...configured, hostKeyIds: ['no-such-key'] })).rejects.toMatchObject({ code: 'KMSG_ERR_POLICY_CONFIG_INVALID' });
    expect(identities.get('no-such-key')).toBeUndefined();
    expect(identities.list()).toEqual([]);
  });
});
