import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '@kmsgrid/config';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '@kmsgrid/event-store';
import { findHostKey, type HostKey } from '@kmsgrid/kms-catalog';
import {
  hostKeyIdentityStreamId,
  PolicyServiceError,
  generateConfiguredIdentity,
  hostKeyIdentityDecider,
  hostKeyIdentityGeneratedDataCodec,
  type HostKeyIdentity,
  type HostKeyIdentityEvent,
  type HostKeyIdentityState,
  type PolicyConfig,
  type RandomBytes,
} from '@kmsgrid/policy-domain';
import { messageOf } from './errors.js';

/** Where a value of an identity comes from: the operator's KMSGRID_* variable, or generated once and stored. */
export type IdentitySource = 'configured' | 'generated';

/** A host key's identity as the policy answers with it, with the source of each value. */
export interface LoadedHostKeyIdentity extends HostKeyIdentity {
  readonly hostKey: HostKey;
  /** Source of the ePID: KMSGRID_EPID_<KEY> or the stored generated one. */
  readonly epidSource: IdentitySource;
  /** Source of the HWID: KMSGRID_HWID or the stored generated one. */
  readonly hwidSource: IdentitySource;
}

/**
 * The ePID and HWID of every configured host key, loaded once at start and
 * then served from memory (no I/O on the activation path).
 */
export interface HostKeyIdentityStore {
  /**
   * Makes sure every host key of `config` has an identity and caches them.
   * Rejects with PolicyServiceError (KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE,
   * _IDENTITY_CONFLICT or _CONFIG_INVALID); the cache is replaced only on success.
   */
  load(config: PolicyConfig): Promise<readonly LoadedHostKeyIdentity[]>;
  /** The cached identity of a host key; undefined before `load` or for a key `load` was not given. */
  get(hostKeyId: string): LoadedHostKeyIdentity | undefined;
  /** The cached identities in the configured order. */
  list(): readonly LoadedHostKeyIdentity[];
}

/** The part of the event store the identity store uses. */
export type IdentityEventStore = Pick<EventStore, 'readStream' | 'append'>;

export interface HostKeyIdentityStoreOptions {
  readonly store: IdentityEventStore;
  /** Randomness of generated identities; default node:crypto randomBytes. */
  readonly random?: RandomBytes;
  /** Time of generation (the ePID's activation date); default `new Date()`. */
  readonly clock?: () => Date;
  readonly log?: Logger;
}

/** Stream of a host key's identity events (`<category>:<id>`, as the event store requires). */
export const identityStreamId = hostKeyIdentityStreamId;

const toDomainEvent = (event: RecordedEvent): HostKeyIdentityEvent => {
  if (event.type !== 'HostKeyIdentityGenerated') {
    throw new PolicyServiceError('KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', `stream ${event.streamId} holds an unknown event type ${event.type}`);
  }
  try {
    return { type: 'HostKeyIdentityGenerated', data: hostKeyIdentityGeneratedDataCodec.check(event.data) };
  } catch (err) {
    throw new PolicyServiceError('KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', `stream ${event.streamId} v${event.streamVersion}: ${messageOf(err)}`, { cause: err });
  }
};

const storeError = (what: string, err: unknown): PolicyServiceError =>
  err instanceof PolicyServiceError ? err : new PolicyServiceError('KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', `${what}: ${messageOf(err)}`, { cause: err });

/**
 * The HostKeyIdentityStore over the event store. Per host key:
 * - the operator's ePID (KMSGRID_EPID_<KEY>) and HWID (KMSGRID_HWID) are used
 *   verbatim and are NOT recorded as events: the configuration is their
 *   source of truth, so changing it takes effect at the next start without an
 *   event history that contradicts it;
 * - when the operator did not set both, the stream
 *   `policy-host-key-identity:<id>` is read; if it is empty an identity is
 *   generated (random key id, HWID) and appended with expected version
 *   'no_stream'. A ConcurrencyError means another replica won: its identity
 *   is read back and used, so all replicas and restarts agree. The generated
 *   identity stays stored even when an override hides it, so removing the
 *   override brings the same one back.
 *
 * @example
 * const identities = createHostKeyIdentityStore({ store: createEventStore(db) });
 * await identities.load(config);
 * identities.get('windows-server-2019')?.epid;
 */
export function createHostKeyIdentityStore(options: HostKeyIdentityStoreOptions): HostKeyIdentityStore {
  const { store } = options;
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? silentLogger;
  let cache: ReadonlyMap<string, LoadedHostKeyIdentity> = new Map();

  async function readIdentity(hostKeyId: string): Promise<HostKeyIdentityState> {
    const streamId = identityStreamId(hostKeyId);
    let events: readonly RecordedEvent[];
    try {
      events = (await store.readStream(streamId)).events;
    } catch (err) {
      throw storeError(`reading ${streamId}`, err);
    }
    const state = events.map(toDomainEvent).reduce(hostKeyIdentityDecider.evolve, hostKeyIdentityDecider.initialState());
    if (state.status === 'generated' && state.identity.hostKeyId !== hostKeyId) {
      throw new PolicyServiceError('KMSG_ERR_POLICY_IDENTITY_UNAVAILABLE', `stream ${streamId} holds the identity of ${state.identity.hostKeyId}`);
    }
    return state;
  }

  async function generatedIdentity(hostKey: HostKey, config: PolicyConfig): Promise<HostKeyIdentity> {
    const stored = await readIdentity(hostKey.id);
    if (stored.status === 'generated') return stored.identity;

    const now = clock();
    const candidate = generateConfiguredIdentity(hostKey, config, random, now);
    if (!candidate.ok) throw new PolicyServiceError('KMSG_ERR_POLICY_CONFIG_INVALID', `cannot generate an ePID for ${hostKey.id}: ${candidate.error.message}`);
    const events = hostKeyIdentityDecider.decide({ type: 'GenerateHostKeyIdentity', data: { candidate: candidate.value, now } }, stored);
    const streamId = identityStreamId(hostKey.id);
    try {
      await store.append(streamId, 'no_stream', events);
      log.info('host key identity generated', { hostKeyId: hostKey.id, epid: candidate.value.epid, streamId });
      return candidate.value;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw storeError(`appending to ${streamId}`, err);
    }
    // Another replica appended first: use its identity, so every replica answers with the same ePID.
    const winner = await readIdentity(hostKey.id);
    if (winner.status !== 'generated') {
      throw new PolicyServiceError('KMSG_ERR_POLICY_IDENTITY_CONFLICT', `${streamId} reported a concurrent append but holds no identity`);
    }
    log.info('host key identity generated by another replica', { hostKeyId: hostKey.id, epid: winner.identity.epid, streamId });
    return winner.identity;
  }

  async function loadOne(hostKeyId: string, config: PolicyConfig): Promise<LoadedHostKeyIdentity> {
    const hostKey = findHostKey(hostKeyId);
    if (hostKey === undefined) throw new PolicyServiceError('KMSG_ERR_POLICY_CONFIG_INVALID', `host key ${hostKeyId} is not in the catalog`);
    const epid = config.epidOverrides[hostKey.id];
    const hwid = config.hwid;
    if (epid !== undefined && hwid !== null) {
      return { hostKey, hostKeyId: hostKey.id, epid, hwid, epidSource: 'configured', hwidSource: 'configured' };
    }
    const generated = await generatedIdentity(hostKey, config);
    return {
      hostKey,
      hostKeyId: hostKey.id,
      epid: epid ?? generated.epid,
      hwid: hwid ?? generated.hwid,
      epidSource: epid === undefined ? 'generated' : 'configured',
      hwidSource: hwid === null ? 'generated' : 'configured',
    };
  }

  return {
    async load(config) {
      const loaded = await Promise.all(config.hostKeyIds.map((id) => loadOne(id, config)));
      cache = new Map(loaded.map((identity) => [identity.hostKeyId, identity]));
      return loaded;
    },
    get: (hostKeyId) => cache.get(hostKeyId),
    list: () => [...cache.values()],
  };
}
