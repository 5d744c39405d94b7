import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HOST_KEYS, findHostKey, keyIdInBlocks, parseEpid, type HostKey } from '@kmsgrid/kms-catalog';
import {
  effectiveIdentity,
  generateIdentity,
  hostKeyIdentityDecider,
  hostKeyIdentityGeneratedDataCodec,
  hostKeyIdentityStreamId,
  type HostKeyIdentity,
  type HostKeyIdentityEvent,
  type RandomBytes,
} from './host-key-identity.js';
import { configWith, fixedRandom, NOW, seededRandom } from './testing/fixtures.js';

const key = (id: string): HostKey => {
  const k = findHostKey(id);
  if (k === undefined) throw new Error(`fixture: no host key ${id}`);
  return k;
};
const generate = (hostKey: HostKey, random: RandomBytes, activationDate = NOW, hostBuild = 17_763): HostKeyIdentity => {
  const r = generateIdentity(hostKey, { random, lcid: 1033, hostBuild, activationDate });
  if (!r.ok) throw r.error;
  return r.value;
};

describe('generateIdentity', () => {
  it.each(HOST_KEYS.map((k) => [k.id, k] as const))('Given host key %s, Then a well-formed ePID of its group and key blocks and a 16-hex HWID', (_id, hostKey) => {
    const identity = generate(hostKey, seededRandom(hostKey.id));
    expect(identity.hostKeyId).toBe(hostKey.id);
    expect(identity.hwid).toMatch(/^[0-9A-F]{16}$/);
    const parsed = parseEpid(identity.epid);
    if (!parsed.ok) throw parsed.error;
    expect(parsed.value).toMatchObject({ platformId: 3612, groupId: hostKey.epid.groupId, channel: '03', lcid: 1033, build: 17_763 });
    expect(keyIdInBlocks(parsed.value.keyId, hostKey.epid.keyIdBlocks)).toBe(true);
  });

  it('Given the same random bytes, Then the same identity; other bytes, another identity', () => {
    const k = key('windows-server-2019');
    expect(generate(k, seededRandom('a'))).toEqual(generate(k, seededRandom('a')));
    expect(generate(k, seededRandom('a'))).not.toEqual(generate(k, seededRandom('b')));
  });

  it('Given fixed bytes, Then exactly the expected ePID and HWID', () => {
    // Key id bytes 0x80 00.. = u 0.5 of the 2019 block 551000000..570999999 -> 561000000.
    const identity = generate(key('windows-server-2019'), fixedRandom([0x80], [0x3a, 0x1c, 0x04, 0x96, 0x00, 0xb6, 0x00, 0x76]), new Date('2026-02-01T10:00:00Z'));
    expect(identity).toEqual({ hostKeyId: 'windows-server-2019', epid: '03612-00206-561-000000-03-1033-17763.0000-0322026', hwid: '3A1C049600B60076' });
  });

  it('Given the extreme random draws, Then key ids stay inside the blocks (incl. the Server 2022 hole)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HOST_KEYS), fc.uint8Array({ minLength: 6, maxLength: 6 }), (hostKey, bytes) => {
        const parsed = parseEpid(generate(hostKey, fixedRandom([...bytes])).epid);
        return parsed.ok && keyIdInBlocks(parsed.value.keyId, hostKey.epid.keyIdBlocks);
      }),
    );
    for (const b of [0x00, 0xff]) {
      const parsed = parseEpid(generate(key('windows-server-2022'), fixedRandom([b, b, b, b, b, b])).epid);
      expect(parsed.ok && keyIdInBlocks(parsed.value.keyId, key('windows-server-2022').epid.keyIdBlocks)).toBe(true);
    }
  });

  it('Given an activation date before the host key existed, Then the ePID date is the key\'s release date', () => {
    const hostKey = key('windows-server-2025');
    const parsed = parseEpid(generate(hostKey, seededRandom('x'), new Date('2001-01-01T00:00:00Z')).epid);
    if (!parsed.ok) throw parsed.error;
    const release = new Date(`${hostKey.epid.releaseDate.slice(0, 10)}T00:00:00Z`);
    expect(parsed.value.year).toBe(release.getUTCFullYear());
  });

  it('Given an unknown build or LCID 0, Then a typed error, not a throw', () => {
    const k = key('windows-server-2019');
    expect(generateIdentity(k, { random: seededRandom('x'), lcid: 1033, hostBuild: 12_345, activationDate: NOW })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_HOST_BUILD' } });
    expect(generateIdentity(k, { random: seededRandom('x'), lcid: 0, hostBuild: 17_763, activationDate: NOW })).toMatchObject({ ok: false, error: { code: 'EPID_FIELD' } });
  });
});

describe('effectiveIdentity', () => {
  const generated: HostKeyIdentity = { hostKeyId: 'windows-server-2019', epid: '03612-00206-561-000000-03-1033-17763.0000-0322026', hwid: '0011223344556677' };
  const operatorEpid = '06401-00206-566-174993-03-1033-9600.0000-2802018';

  it('Given no operator values, Then the generated identity', () => {
    expect(effectiveIdentity('windows-server-2019', configWith(), generated)).toEqual(generated);
  });

  it('Given an operator ePID and HWID, Then they win', () => {
    const config = configWith({ KMSGRID_HOST_KEYS: 'windows-server-2019', KMSGRID_EPID_WINDOWS_SERVER_2019: operatorEpid, KMSGRID_HWID: '3A1C049600B60076' });
    expect(effectiveIdentity('windows-server-2019', config, generated)).toEqual({ hostKeyId: 'windows-server-2019', epid: operatorEpid, hwid: '3A1C049600B60076' });
    expect(effectiveIdentity('windows-server-2019', config, null)).toEqual({ hostKeyId: 'windows-server-2019', epid: operatorEpid, hwid: '3A1C049600B60076' });
  });

  it('Given nothing generated and no complete operator identity, Then null', () => {
    expect(effectiveIdentity('windows-server-2019', configWith({ KMSGRID_HWID: '3A1C049600B60076' }), null)).toBeNull();
  });
});

describe('host key identity decider', () => {
  const { decide, evolve, initialState } = hostKeyIdentityDecider;
  const k = key('office-2019');
  const candidate = generate(k, seededRandom('first'));
  const later = generate(k, seededRandom('second'));
  const command = (c: HostKeyIdentity, now = NOW) => ({ type: 'GenerateHostKeyIdentity' as const, data: { candidate: c, now } });
  const replay = (events: readonly HostKeyIdentityEvent[]) => events.reduce(evolve, initialState());

  it('Given no events, When asked to generate, Then HostKeyIdentityGenerated with schema-valid data', () => {
    const events = decide(command(candidate), initialState());
    expect(events).toEqual([{ type: 'HostKeyIdentityGenerated', data: { ...candidate, generatedAt: NOW.toISOString() } }]);
    expect(hostKeyIdentityGeneratedDataCodec.check(events[0]!.data)).toEqual(events[0]!.data);
    expect(replay(events)).toEqual({ status: 'generated', identity: candidate, generatedAt: NOW.toISOString() });
  });

  it('Given an identity was generated, When asked again (a restart), Then nothing new: the stored identity stays', () => {
    const state = replay(decide(command(candidate), initialState()));
    expect(decide(command(later, new Date('2027-01-01T00:00:00Z')), state)).toEqual([]);
  });

  it('Given two generated events (a race both appended), When replayed, Then the first wins', () => {
    const first = decide(command(candidate), initialState());
    const second = decide(command(later), initialState());
    expect(replay([...first, ...second])).toMatchObject({ status: 'generated', identity: candidate });
  });

  it('rejects malformed event data at the boundary', () => {
    expect(() => hostKeyIdentityGeneratedDataCodec.check({ ...candidate, hwid: 'xyz', generatedAt: NOW.toISOString() })).toThrow(/HostKeyIdentityGenerated/);
  });

  it('uses one stream per host key', () => {
    expect(hostKeyIdentityStreamId('office-2019')).toBe('policy-host-key-identity:office-2019');
  });
});
