import { Type, type Static } from '@sinclair/typebox';
import { LedgerRequestStatsSchema } from '@kmsgrid/contracts';

/**
 * Shapes the admin API consumes (what the wiring maps the policy, ledger and
 * DNS replies into) and the views it serves. Field names of the ledger shapes
 * follow @kmsgrid/contracts' ledger-query messages so the wiring is a pass-through.
 */

const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const Guid = Type.String({ pattern: GUID_PATTERN });
/** Cumulative counters outgrow 32 bits; JSON numbers stay exact to 2^53. */
const Counter = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const U32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });
/** ISO 8601 UTC, as `Date#toISOString` writes it. */
const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$' });
const Minutes = Type.Integer({ minimum: 0, maximum: 0xffffffff });
const Text = (maxLength: number) => Type.String({ maxLength });

// ---- license states (kms-facts.md section 2)

/**
 * Request counters by the license state the client reported, as `slmgr /dlv` prints them on a KMS
 * host: the ledger's own schema (one definition, so the two cannot drift).
 */
export const RequestStatsSchema = LedgerRequestStatsSchema;
export type RequestStats = Static<typeof RequestStatsSchema>;

// ---- inputs: what the injected data sources answer

/** A host key (CSVLK) the policy is configured with, and the identity it answers with. */
export const PolicyHostKeySchema = Type.Object({
  /** Catalog id, e.g. `windows-server-2019`. */
  id: Type.String({ minLength: 1, maxLength: 100 }),
  name: Text(200),
  /** Product key group, e.g. `server-c`, `office`. */
  group: Text(100),
  /** Microsoft's name for the group; taken from the catalog when absent. */
  groupLabel: Type.Optional(Text(200)),
  generation: Type.Integer({ minimum: 0, maximum: 1000 }),
  /** Null while no identity is generated yet. */
  epid: Type.Union([Text(80), Type.Null()]),
  hwid: Type.Union([Type.String({ pattern: '^[0-9A-Fa-f]{16}$' }), Type.Null()]),
  /** Source of the ePID (or of both): `configured` (KMSGRID_EPID_* / KMSGRID_HWID), `generated` (stored), `mixed`, `pending` (none yet). */
  identitySource: Type.Union([Type.Literal('configured'), Type.Literal('generated'), Type.Literal('mixed'), Type.Literal('pending')]),
  /** Source of the HWID when the policy reports it apart; a value other than identitySource shows as `mixed`. */
  hwidSource: Type.Optional(Type.Union([Type.Literal('configured'), Type.Literal('generated')])),
  /**
   * KMS counted IDs the key activates, names from the catalog when absent. The
   * whole list comes from the catalog's host key when absent, or when the
   * policy only reports how many (a number).
   */
  coveredProducts: Type.Optional(
    Type.Union([Type.Array(Type.Object({ kmsCountedId: Guid, name: Type.Optional(Text(200)) }), { maxItems: 1000 }), Type.Integer({ minimum: 0 })]),
  ),
});
export type PolicyHostKey = Static<typeof PolicyHostKeySchema>;

/** What activation-policy answers (`kmsgrid.policy.v1.status`), as the admin API needs it. */
export const PolicyStatusSchema = Type.Object({
  /** Minutes an unactivated client waits before retrying (slmgr /sai). */
  activationIntervalMinutes: Minutes,
  /** Minutes an activated client waits before renewing (slmgr /sri). */
  renewalIntervalMinutes: Minutes,
  /** Allowed client clock skew in minutes; null when not checked. */
  clockToleranceMinutes: Type.Union([Minutes, Type.Null()]),
  hostKeys: Type.Array(PolicyHostKeySchema, { maxItems: 100 }),
});
export type PolicyStatus = Static<typeof PolicyStatusSchema>;

/** One count group (application) of cmid-ledger. */
export const LedgerApplicationSchema = Type.Object({
  applicationId: Guid,
  name: Text(100),
  /** Distinct CMIDs with an accepted request in the last 30 days. */
  activeClients: U32,
  /** The count a request would be answered with now: min(activeClients, 2 x highestNPolicy). */
  reportedCount: U32,
  /** Highest N-policy of accepted requests; 0 before the first. */
  highestNPolicy: U32,
  lastRequestAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  requests: RequestStatsSchema,
});
export type LedgerApplication = Static<typeof LedgerApplicationSchema>;

/** What cmid-ledger answers (`kmsgrid.ledger.v1.status`). */
export const LedgerStatusSchema = Type.Object({
  /** When the 30-day window was evaluated. */
  at: Timestamp,
  applications: Type.Array(LedgerApplicationSchema, { maxItems: 100 }),
});
export type LedgerStatus = Static<typeof LedgerStatusSchema>;

/** Filters handed to `listClients` (ANDed; newest `lastSeenAt` first). */
export interface ClientQuery {
  readonly applicationId?: string;
  /** Case-insensitive prefix of the workstation name. */
  readonly workstation?: string;
  /** Exact client address. */
  readonly address?: string;
  /** 0..6 (kms-facts.md section 2). */
  readonly licenseStatus?: number;
  /** ISO 8601: only clients last seen at or after. */
  readonly seenSince?: string;
  readonly limit: number;
  /** Opaque `nextCursor` of the previous page. */
  readonly cursor?: string;
}

const Outcome = Type.Union([Type.Literal('counted'), Type.Literal('renewed'), Type.Literal('refused')]);

/** A client (CMID) with the facts of its last request, as cmid-ledger keeps it. */
export const ClientRecordSchema = Type.Object({
  applicationId: Guid,
  cmid: Guid,
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  workstationName: Text(64),
  clientAddress: Text(64),
  kmsCountedId: Guid,
  skuId: Guid,
  licenseStatus: U32,
  /** Minutes left in the license state, as the client reported. */
  bindingExpirationMinutes: U32,
  isVirtualMachine: Type.Boolean(),
  previousCmid: Guid,
  requestCount: Counter,
  lastOutcome: Outcome,
  nPolicy: Type.Optional(U32),
  /** HRESULT of the last refusal; 0 when accepted. */
  lastHresult: Type.Optional(U32),
  protocolVersion: Type.Optional(Text(11)),
});
export type ClientRecord = Static<typeof ClientRecordSchema>;

export const ClientPageSchema = Type.Object({
  clients: Type.Array(ClientRecordSchema, { maxItems: 500 }),
  nextCursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
});
export type ClientPage = Static<typeof ClientPageSchema>;

/** Last outcome of the SRV registration of one domain (dns-registrar). */
export const DnsDomainStatusSchema = Type.Object({
  domain: Type.String({ minLength: 1, maxLength: 253 }),
  /** e.g. `_vlmcs._tcp.corp.example SRV 0 0 1688 kms1.corp.example.` */
  record: Type.Optional(Text(600)),
  /** e.g. `registered`, `refreshed`, `withdrawn`, `refused`, `timeout`. */
  outcome: Type.String({ minLength: 1, maxLength: 40 }),
  ok: Type.Boolean(),
  at: Type.Union([Timestamp, Type.Null()]),
  message: Type.Optional(Text(500)),
  /** 12293 while publishing fails, the event Microsoft's host logs. */
  windowsEventId: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
});
export type DnsDomainStatus = Static<typeof DnsDomainStatusSchema>;

export const DnsStatusSchema = Type.Object({
  domains: Type.Array(DnsDomainStatusSchema, { maxItems: 100 }),
});
export type DnsStatus = Static<typeof DnsStatusSchema>;

/** Counters of the KMS endpoint (structurally @kmsgrid/ingress-server's IngressStats, every field optional). */
export const IngressCountersSchema = Type.Object({
  connectionsAccepted: Type.Optional(Counter),
  connectionsActive: Type.Optional(Counter),
  connectionsDropped: Type.Optional(Counter),
  requests: Type.Optional(Counter),
  activated: Type.Optional(Counter),
  refused: Type.Optional(Counter),
  invalid: Type.Optional(Counter),
  unavailable: Type.Optional(Counter),
  protocolErrors: Type.Optional(Counter),
});
export type IngressCounters = Static<typeof IngressCountersSchema>;

// ---- views served

export const ThresholdViewSchema = Type.Object({
  /** Minimum count clients of this N-policy need (25 client OS, 5 server OS and Office). */
  nPolicy: U32,
  /** Who asks with this N-policy, e.g. "Windows client", "Windows Server". */
  label: Text(100),
  activates: Type.Boolean(),
  /** Clients still missing before they activate; 0 when they do. */
  missing: U32,
});
export type ThresholdView = Static<typeof ThresholdViewSchema>;

export const ApplicationViewSchema = Type.Object({
  applicationId: Guid,
  name: Text(100),
  /** Distinct CMIDs in the last 30 days. */
  activeClients: U32,
  /** "Current count" of slmgr /dlv: what clients are answered with. */
  currentCount: U32,
  /** 2 x the highest N-policy seen (50, or 10 with only servers/Office); null before the first request. */
  cap: Type.Union([U32, Type.Null()]),
  /** Largest cap the application can reach (2 x its largest N-policy in the catalog). */
  maxCount: U32,
  highestNPolicy: U32,
  /** `idle`: no request yet; `below`: nobody activates; `partial`: only lower N-policies; `met`: all. */
  status: Type.Union([Type.Literal('idle'), Type.Literal('below'), Type.Literal('partial'), Type.Literal('met')]),
  thresholds: Type.Array(ThresholdViewSchema),
  /** Configured host keys that activate products of this application. */
  hostKeyIds: Type.Array(Text(100)),
  lastRequestAt: Type.Union([Timestamp, Type.Null()]),
  requests: RequestStatsSchema,
});
export type ApplicationView = Static<typeof ApplicationViewSchema>;

export const HostKeyViewSchema = Type.Object({
  id: Text(100),
  name: Text(200),
  group: Text(100),
  groupLabel: Type.Union([Text(200), Type.Null()]),
  generation: Type.Integer(),
  applicationId: Type.Union([Guid, Type.Null()]),
  applicationName: Type.Union([Text(100), Type.Null()]),
  epid: Type.Union([Text(80), Type.Null()]),
  hwid: Type.Union([Text(16), Type.Null()]),
  identitySource: PolicyHostKeySchema.properties.identitySource,
  coveredProducts: Type.Array(Type.Object({ kmsCountedId: Guid, name: Text(200) })),
});
export type HostKeyView = Static<typeof HostKeyViewSchema>;

export const HostInfoSchema = Type.Object({
  version: Text(100),
  mode: Type.Union([Type.Literal('all-in-one'), Type.Literal('split')]),
  /** KMS listening addresses (`host:port`). */
  listen: Type.Array(Text(100)),
  startedAt: Timestamp,
  uptimeSeconds: Counter,
});

export const DnsViewSchema = Type.Object({
  /** False when the DNS registrar did not answer; `error` says why. */
  available: Type.Boolean(),
  error: Type.Optional(Text(500)),
  domains: Type.Array(DnsDomainStatusSchema),
});
export type DnsView = Static<typeof DnsViewSchema>;

/** GET /v1/status: the `slmgr /dlv` view of the whole host. */
export const StatusViewSchema = Type.Object({
  generatedAt: Timestamp,
  /** When the ledger evaluated its 30-day window. */
  ledgerAt: Timestamp,
  host: HostInfoSchema,
  intervals: Type.Object({ activationMinutes: Minutes, renewalMinutes: Minutes }),
  clockToleranceMinutes: Type.Union([Minutes, Type.Null()]),
  hostKeys: Type.Array(HostKeyViewSchema),
  applications: Type.Array(ApplicationViewSchema),
  totals: Type.Object({ activeClients: Counter, requests: RequestStatsSchema }),
  /** Present when the process runs the KMS endpoint. */
  ingress: Type.Optional(IngressCountersSchema),
  /** Present when a DNS registrar is wired in. */
  dns: Type.Optional(DnsViewSchema),
});
export type StatusView = Static<typeof StatusViewSchema>;

export const ClientViewSchema = Type.Object({
  cmid: Guid,
  applicationId: Guid,
  applicationName: Text(100),
  kmsCountedId: Guid,
  /** KMS counted ID's name from the catalog, the GUID when unknown. */
  kmsCountedName: Text(200),
  skuId: Guid,
  /** Product (SKU) name from the catalog; falls back to the KMS counted ID's name, then "unknown SKU". */
  productName: Text(200),
  workstation: Text(64),
  address: Text(64),
  licenseStatus: U32,
  licenseStatusName: Text(60),
  remainingMinutes: U32,
  vm: Type.Boolean(),
  previousCmid: Guid,
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  requestCount: Counter,
  lastOutcome: Outcome,
  nPolicy: Type.Union([U32, Type.Null()]),
  /** `0xC004F042` style, null when the last request was accepted or unknown. */
  lastError: Type.Union([Text(10), Type.Null()]),
});
export type ClientView = Static<typeof ClientViewSchema>;

/** GET /v1/clients */
export const ClientsViewSchema = Type.Object({
  clients: Type.Array(ClientViewSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type ClientsView = Static<typeof ClientsViewSchema>;

/** Query of GET /v1/clients; parsed further by parseClientsQuery. */
export const ClientsQuerystringSchema = Type.Object(
  {
    /** Application GUID, or windows | office-2010 | office. */
    application: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    workstation: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** 0..6 or a state name (licensed, initial-grace, ...). */
    licenseStatus: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** ISO 8601 time, or a duration back from now: 30m, 24h, 7d. */
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type ClientsQuerystring = Static<typeof ClientsQuerystringSchema>;

export const ErrorBodySchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBodySchema>;

export const ReadinessViewSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  /** Set when not ready. */
  code: Type.Optional(Type.String()),
  failing: Type.Array(Type.String()),
  checks: Type.Array(
    Type.Object({
      name: Type.String(),
      ok: Type.Boolean(),
      ms: Type.Number(),
      error: Type.Optional(Type.String()),
    }),
  ),
});
export type ReadinessView = Static<typeof ReadinessViewSchema>;
