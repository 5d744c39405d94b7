/**
 * Policy constants of the CMID ledger (kms-facts.md section 1 and 2).
 */

/**
 * The count window: "The KMS only counts unique connections from the past 30
 * days" (kms-activation-planning). A CMID last seen at `t` is in the window at
 * `now` while `now - t < COUNT_WINDOW_MS`.
 */
export const COUNT_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * How long a request id is remembered to answer a re-delivered request with
 * its first reply. The count itself is idempotent anyway (a repeated CMID is
 * a renewal), so this only keeps statistics and `newClient` exact across
 * transport retries, which happen within seconds.
 */
export const REQUEST_DEDUP_WINDOW_MS = 2 * 60 * 1000;

/**
 * Application IDs: one count group (separate counter) each (man/vlmcs.1,
 * KmsDataBase.xml). Windows client and server OS share one counter.
 */
export const APPLICATIONS = {
  windows: '55c92734-d682-4d71-983e-d6ec3f16059f',
  office2010: '59a52881-a989-479d-af46-f275c6370663',
  office2013: '0ff1ce15-a989-479d-af46-f275c6370663',
} as const;

/**
 * Count group of requests whose body could not be decoded (unknown protocol
 * version): they have no application id but are still recorded as refused.
 */
export const NO_APPLICATION_ID = '00000000-0000-0000-0000-000000000000';

/** LicenseStatus field of a KMS request (vlmcsd src/kms.h, py-kms licenseStates). */
export const LICENSE_STATUS = {
  unlicensed: 0,
  licensed: 1,
  oobGrace: 2,
  ootGrace: 3,
  nonGenuineGrace: 4,
  notification: 5,
  extendedGrace: 6,
} as const;

export type LicenseStatusName = keyof typeof LICENSE_STATUS;

/** Display names of the license states, indexed by value, as `slmgr /dlv` prints them on a host. */
export const LICENSE_STATUS_NAMES: readonly string[] = [
  'Unlicensed',
  'Licensed',
  'Initial grace period',
  'License expired or Hardware out of tolerance',
  'Non-genuine grace period',
  'Notification',
  'Extended grace period',
];

/** Aggregate name of the count group streams; it is the `<aggregate>` of `kmsgrid.events.<aggregate>.<EventType>`. */
export const COUNT_GROUP_CATEGORY = 'countgroup';

/**
 * Stream id of the count group of one application.
 *
 * @example countGroupStreamId(APPLICATIONS.windows) // 'countgroup:55c92734-d682-4d71-983e-d6ec3f16059f'
 */
export const countGroupStreamId = (applicationId: string): string => `${COUNT_GROUP_CATEGORY}:${applicationId}`;
