// Public API of @kmsgrid/kms-client: a vlmcs-like KMS activation client as a library.
export { activate, toClientOptions } from './client.js';
export type { ActivateOptions, ActivateResult } from './client.js';
export type { DiscoveryEvent } from './discovery.js';
export { activateMany } from './activate-many.js';
export type { ActivateManyOptions } from './activate-many.js';
export { DEFAULTS } from './options.js';
export type { ClientOptions, DiscoverOptions, KmsProtocolVersion, RpcOptions } from './options.js';
export { decisiveFailure, exitCodeOf } from './result.js';
export type {
  ActivationResult,
  Check,
  ConnectionOutcome,
  DiscoveredHost,
  DiscoveryInfo,
  ExitCode,
  Failure,
  FailureKind,
  HostAttempt,
  Negotiation,
  RequestInfo,
  RequestOutcome,
  RequestStatus,
  ResponseInfo,
} from './result.js';
export { DEFAULT_KMS_PORT, formatTarget, parseTarget } from './target.js';
export type { Target, TargetParse } from './target.js';
export { describeHresult, formatHresult, hresultName } from './hresult.js';
export { DEFAULT_PRODUCT, buildRequest, resolveProduct } from './request.js';
export type { BuildResult, BuiltRequest, FreshValues, ProductCatalogPort, ProductInfo } from './request.js';
export { defaultCatalog, suggestProducts } from './catalog.js';
export { randomGuidV4, randomWorkstationName } from './workstation.js';

// Test-only: a loopback KMS host with scripted answers (for integration and end-to-end tests).
export { TEST_EPID, TEST_HWID, startTestHost } from './testing/test-host.js';
export type { TestHost, TestHostAnswer, TestHostOptions } from './testing/test-host.js';
