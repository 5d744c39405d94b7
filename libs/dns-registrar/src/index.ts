// Registrar (what the apps call)
export { startDnsRegistrar, DEFAULT_BACKOFF, DNS_PUBLISHING_OFF, EVENT_ID_DNS_PUBLISH_FAILED } from './registrar.js';
export type { DnsRegistrar, DnsRegistrarDeps, DnsRegistrarStatus, DnsDomainStatus } from './registrar.js';
export { readDnsRegistrarConfig, addressDomain, DNS_DEFAULTS } from './config.js';
export type { DnsRegistrarConfig, DnsDomainConfig } from './config.js';
export { DNS_EVENT, dnsRegistrationStreamId, outcomeEventType } from './events.js';
export type { DnsEventType, DnsOutcome, DnsOperation, DnsServerAnswer, DnsRegistrationEventData } from './events.js';
export { plannedRecords, publishOperations, withdrawOperations, evolveOwnership, initialOwnership, srvOwner } from './registration.js';
export type { Ownership } from './registration.js';

// Discovery (kms-client --discover)
export { orderSrvRecords } from './srv-selection.js';
export type { SrvTarget } from './srv-selection.js';
export { resolveKmsHosts, queryRecords, DnsLookupError } from './net/resolver.js';
export type { KmsHost, QueryResult, ResolveOptions, DnsLookupErrorKind } from './net/resolver.js';

// Transport and UPDATE client
export { exchange, DnsExchangeError } from './net/exchange.js';
export type { DnsServer, DnsTransport, ExchangeOptions, ExchangeResult, DnsExchangeErrorKind } from './net/exchange.js';
export { sendUpdate, DnsUpdateError } from './net/update-client.js';
export type { UpdateAnswer, UpdateErrorKind, SendUpdateOptions } from './net/update-client.js';

// Wire layer over dns-packet (UPDATE, class NONE/ANY, TSIG)
export { DnsWireError } from './wire/errors.js';
export type { DnsWireErrorCode } from './wire/errors.js';
export { RR_TYPE, RR_CLASS, OPCODE, RCODE, TSIG_ERROR, rcodeName, tsigErrorName } from './wire/constants.js';
export type { RcodeName, TsigErrorName, RrTypeName } from './wire/constants.js';
export { canonicalName, nameProblem, normalizeRecord, recordKey, formatRecord, encodeRdata, decodeRdata } from './wire/records.js';
export type { DnsRecord, DnsRecordType, SrvData } from './wire/records.js';
export { encodeHeader, decodeHeader, scanMessage } from './wire/message.js';
export type { DnsHeader, RecordSpan, ScannedMessage } from './wire/message.js';
export { encodeUpdate, decodeUpdate } from './wire/update-message.js';
export type { UpdateMessage, UpdateOperation, Prerequisite } from './wire/update-message.js';
export { signMessage, verifyMessage, readTsig, computeTsigMac, tsigAlgorithm, TSIG_ALGORITHMS, DEFAULT_FUDGE } from './wire/tsig.js';
export type { TsigKey, TsigAlgorithm, TsigRecord, TsigFields, TsigProblem, TsigVerification, SignOptions } from './wire/tsig.js';

// Test support: a private BIND 9 on loopback (int tests here and in kms-client)
export { startTestBind, freeDualPort, BIND_MISSING_MESSAGE } from './testing/bind.js';
export type { TestBind, TestBindOptions, TestZone } from './testing/bind.js';
export { dnsRegistrarMetrics } from './metrics.js';
