export { buildApp } from './app.js';
export type { AdminDeps, ReadinessCheck } from './context.js';
export { DEFAULT_UPSTREAM_TIMEOUT_MS, DEFAULT_READINESS_TIMEOUT_MS } from './context.js';
export { ADMIN_ERRORS, AdminError, isAdminErrorCode } from './errors.js';
export type { AdminErrorCode, AdminErrorSpec } from './errors.js';
export {
  RequestStatsSchema,
  PolicyHostKeySchema,
  PolicyStatusSchema,
  LedgerApplicationSchema,
  LedgerStatusSchema,
  ClientRecordSchema,
  ClientPageSchema,
  DnsDomainStatusSchema,
  DnsStatusSchema,
  IngressCountersSchema,
  ThresholdViewSchema,
  ApplicationViewSchema,
  HostKeyViewSchema,
  DnsViewSchema,
  StatusViewSchema,
  ClientViewSchema,
  ClientsViewSchema,
  ClientsQuerystringSchema,
  ErrorBodySchema,
  ReadinessViewSchema,
} from './schemas.js';
export type {
  RequestStats,
  PolicyHostKey,
  PolicyStatus,
  LedgerApplication,
  LedgerStatus,
  ClientQuery,
  ClientRecord,
  ClientPage,
  DnsDomainStatus,
  DnsStatus,
  IngressCounters,
  ThresholdView,
  ApplicationView,
  HostKeyView,
  DnsView,
  StatusView,
  ClientView,
  ClientsView,
  ClientsQuerystring,
  ErrorBody,
  ReadinessView,
} from './schemas.js';
export { LICENSE_STATES, licenseStateName, parseLicenseState } from './license-states.js';
export type { LicenseState } from './license-states.js';
export { buildStatusView, catalogThresholds } from './status-view.js';
export type { HostInfo, StatusInputs } from './status-view.js';
export { parseClientsQuery, toClientView, DEFAULT_CLIENTS_LIMIT, MAX_CLIENTS_LIMIT } from './clients-view.js';
export { renderMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
export type { MetricsInputs, ProcessFigures } from './metrics.js';
export { createSampleData, sampleAdminDeps, pageClients, ledgerStatusOf } from './sample-data.js';
export type { SampleData } from './sample-data.js';
export { createAdminSources } from './sources.js';
