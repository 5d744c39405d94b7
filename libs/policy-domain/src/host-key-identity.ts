import { Type, type Static } from '@sinclair/typebox';
import { jsonCodec } from '@kmsgrid/contracts';
import { epidForHostKey, findHostBuild, keyIdFromUniform, type CatalogResult, type HostKey } from '@kmsgrid/kms-catalog';
import type { PolicyConfig } from './policy-config.js';

/** The ePID and HWID a host key answers with. */
export interface HostKeyIdentity {
  readonly hostKeyId: string;
  readonly epid: string;
  /** 16 upper-case hex digits (8 bytes, v6 responses only). */
  readonly hwid: string;
}

/** Source of random bytes, injected (node:crypto `randomBytes` in the service, a fixed sequence in tests). */
export type RandomBytes = (length: number) => Uint8Array;

/** 8-byte host hardware id of v6 responses, as 16 hex digits. */
export const HWID_RE = /^[0-9A-Fa-f]{16}$/;

export interface GenerateIdentityOptions {
  readonly random: RandomBytes;
  readonly lcid: number;
  /** Host OS build; its platform id comes from the catalog's HOST_BUILDS (17763 -> 03612). */
  readonly hostBuild: number;
  /**
   * Host "activation" date; its day of year and year end the ePID. Raised to
   * the release date of the host key and of the host build when earlier, so
   * an ePID never shows a host activated before its key or OS existed.
   */
  readonly activationDate: Date;
}

const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();

/** 48 random bits as a uniform number in [0, 1). */
const uniform48 = (bytes: Uint8Array): number => {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (bytes[i] ?? 0);
  return v / 2 ** 48;
};

const isoDate = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : Date.parse(`${text.slice(0, 10)}T00:00:00Z`);

/**
 * A well-formed ePID and HWID for a host key, deterministic in `random`:
 * the host key's group id and a key id drawn uniformly from its valid
 * blocks, volume channel 03, as genuine CSVLK-activated hosts show
 * (kms-facts.md section 8; formatting by @kmsgrid/kms-catalog). `random` is
 * asked for 6 bytes (key id), then 8 bytes (HWID). A typed error, never a
 * throw, for an unknown build or out-of-range LCID.
 *
 * @example generateIdentity(findHostKey('windows-server-2019')!, { random: randomBytes, lcid: 1033, hostBuild: 17763, activationDate: now })
 *   // { ok: true, value: { hostKeyId: 'windows-server-2019', epid: '03612-00206-5xx-xxxxxx-03-1033-17763.0000-DDDYYYY', hwid: '…' } }
 */
export function generateIdentity(hostKey: HostKey, options: GenerateIdentityOptions): CatalogResult<HostKeyIdentity> {
  const keyId = keyIdFromUniform(hostKey.epid.keyIdBlocks, uniform48(options.random(6)));
  const hwidBytes = options.random(8);
  const hwid = toHex(Uint8Array.from({ length: 8 }, (_, i) => hwidBytes[i] ?? 0));
  const floor = Math.max(
    isoDate(hostKey.epid.releaseDate) ?? -Infinity,
    isoDate(findHostBuild(options.hostBuild)?.releaseDate) ?? -Infinity,
  );
  const asked = options.activationDate.getTime();
  const activationDate = Number.isNaN(asked) || asked >= floor ? options.activationDate : new Date(floor);
  const epid = epidForHostKey(hostKey, { keyId, lcid: options.lcid, hostBuild: options.hostBuild, activationDate });
  return epid.ok ? { ok: true, value: { hostKeyId: hostKey.id, epid: epid.value, hwid } } : epid;
}

/** generateIdentity with the LCID, build and platform id of the configuration. */
export const generateConfiguredIdentity = (
  hostKey: HostKey,
  config: Pick<PolicyConfig, 'lcid' | 'hostBuild'>,
  random: RandomBytes,
  activationDate: Date,
): CatalogResult<HostKeyIdentity> => generateIdentity(hostKey, { random, lcid: config.lcid, hostBuild: config.hostBuild, activationDate });

/**
 * The identity a host key answers with: the operator's ePID (KMSGRID_EPID_*)
 * and HWID (KMSGRID_HWID) where configured, the generated, persisted one
 * otherwise. `null` while nothing is generated and the operator set not both.
 */
export function effectiveIdentity(
  hostKeyId: string,
  config: Pick<PolicyConfig, 'epidOverrides' | 'hwid'>,
  generated: HostKeyIdentity | null,
): HostKeyIdentity | null {
  const epid = config.epidOverrides[hostKeyId] ?? generated?.epid;
  const hwid = config.hwid ?? generated?.hwid;
  return epid === undefined || hwid === undefined ? null : { hostKeyId, epid, hwid };
}

// ---- event and decider: the identity is generated once and persisted, so it is stable across restarts

export const HostKeyIdentityGeneratedDataSchema = Type.Object({
  hostKeyId: Type.String({ minLength: 1, maxLength: 100 }),
  epid: Type.String({ pattern: '^\\d{5}-\\d{5}-\\d{3}-\\d{6}-\\d{2}-\\d{1,5}-\\d{4,5}\\.0000-\\d{7}$' }),
  hwid: Type.String({ pattern: '^[0-9A-F]{16}$' }),
  /** ISO 8601 instant of generation. */
  generatedAt: Type.String({ minLength: 20, maxLength: 40 }),
});
export type HostKeyIdentityGeneratedData = Static<typeof HostKeyIdentityGeneratedDataSchema>;

/** Runtime check of the event data at the event-store boundary. */
export const hostKeyIdentityGeneratedDataCodec = jsonCodec('HostKeyIdentityGenerated', HostKeyIdentityGeneratedDataSchema);

/** Event: a host key got its ePID and HWID. */
export interface HostKeyIdentityGenerated {
  readonly type: 'HostKeyIdentityGenerated';
  readonly data: HostKeyIdentityGeneratedData;
}
export type HostKeyIdentityEvent = HostKeyIdentityGenerated;

/** Command: give a host key an identity unless it has one. `candidate` comes from generateIdentity. */
export interface GenerateHostKeyIdentity {
  readonly type: 'GenerateHostKeyIdentity';
  readonly data: { readonly candidate: HostKeyIdentity; readonly now: Date };
}
export type HostKeyIdentityCommand = GenerateHostKeyIdentity;

export type HostKeyIdentityState =
  | { readonly status: 'none' }
  | { readonly status: 'generated'; readonly identity: HostKeyIdentity; readonly generatedAt: string };

/** One stream per host key. */
export const hostKeyIdentityStreamId = (hostKeyId: string): string => `policy-host-key-identity:${hostKeyId}`;

/**
 * Decider of a host key's identity: generates only if not yet generated.
 *
 * @example
 * const state = events.reduce(hostKeyIdentityDecider.evolve, hostKeyIdentityDecider.initialState());
 * const newEvents = hostKeyIdentityDecider.decide({ type: 'GenerateHostKeyIdentity', data: { candidate, now } }, state);
 */
export const hostKeyIdentityDecider = {
  initialState: (): HostKeyIdentityState => ({ status: 'none' }),

  decide(command: HostKeyIdentityCommand, state: HostKeyIdentityState): readonly HostKeyIdentityEvent[] {
    switch (command.type) {
      case 'GenerateHostKeyIdentity': {
        if (state.status === 'generated') return [];
        const { candidate, now } = command.data;
        return [
          {
            type: 'HostKeyIdentityGenerated',
            data: { hostKeyId: candidate.hostKeyId, epid: candidate.epid, hwid: candidate.hwid, generatedAt: now.toISOString() },
          },
        ];
      }
      default: {
        const unreachable: never = command.type;
        return unreachable;
      }
    }
  },

  evolve(state: HostKeyIdentityState, event: HostKeyIdentityEvent): HostKeyIdentityState {
    switch (event.type) {
      case 'HostKeyIdentityGenerated': {
        // The first event wins: a duplicate (e.g. a retried append) changes nothing.
        if (state.status === 'generated') return state;
        const { hostKeyId, epid, hwid, generatedAt } = event.data;
        return { status: 'generated', identity: { hostKeyId, epid, hwid }, generatedAt };
      }
      default: {
        const unreachable: never = event.type;
        return unreachable;
      }
    }
  },
} as const;
