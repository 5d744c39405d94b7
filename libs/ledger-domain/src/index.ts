export {
  COUNT_WINDOW_MS,
  REQUEST_DEDUP_WINDOW_MS,
  APPLICATIONS,
  NO_APPLICATION_ID,
  LICENSE_STATUS,
  LICENSE_STATUS_NAMES,
  COUNT_GROUP_CATEGORY,
  countGroupStreamId,
} from './constants.js';
export type { LicenseStatusName } from './constants.js';
export { LEDGER_DOMAIN_ERRORS, LedgerDomainError } from './errors.js';
export type { LedgerDomainErrorCode, LedgerErrorSpec } from './errors.js';
export { toRecordActivationRequest } from './count-group.command.js';
export type { RecordActivationRequest, CountGroupCommand, CountRequestData, RefusedRequestData } from './count-group.command.js';
export {
  ClientCountedSchema,
  ClientRenewedSchema,
  ActivationRefusedSchema,
  CountGroupEventSchema,
  COUNT_GROUP_EVENT_TYPES,
  countGroupEventCodec,
} from './count-group.events.js';
export type {
  ClientCounted,
  ClientRenewed,
  ActivationRefused,
  ClientCountedData,
  ActivationRefusedData,
  CountGroupEvent,
  CountGroupEventType,
} from './count-group.events.js';
export { countGroupDecider, decide, evolve, initialState, countAt, replyOf, recordedReply, recordActivation } from './count-group.decider.js';
export type { Decider, CountGroupState, GroupCount } from './count-group.decider.js';
export type { RecordedReply } from './recent-requests.js';
export { snapshot, restore } from './count-group.snapshot.js';
export type { CountGroupSnapshot, ActiveCmid, RecentRequest } from './count-group.snapshot.js';
export type { Projection } from './projections/projection.js';
export { clientsProjection, cmidRowToClient, cmidRowToActiveCmid } from './projections/clients.projection.js';
export type { Client, ClientKey } from './projections/clients.projection.js';
export type { ClientRow, ClientOutcome } from './projections/clients.table.js';
export { countsProjection, thresholdStatus } from './projections/counts.projection.js';
export type { CountGroupRow, ThresholdStatus } from './projections/counts.table.js';
export { requestStatsProjection, requestStatsRowToStats, LICENSE_STATUS_COLUMNS } from './projections/request-stats.projection.js';
export type { RequestStats } from './projections/request-stats.projection.js';
export type { RequestStatsRow } from './projections/request-stats.table.js';
