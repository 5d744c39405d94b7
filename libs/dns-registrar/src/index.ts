// Registrar (what the apps call)
export { startDnsRegistrar, DEFAULT_BACKOFF, DNS_PUBLISHING_OFF, EVENT_ID_DNS_PUBLISH_FAILED } from './registrar.js';
export type { DnsRegistrar, DnsRegistrarDeps, DnsRegistrarStatus, DnsDomainStatus } from './registrar.js';
export { dnsStatusView } from './status-view.js';
export { readDnsRegistrarConfig, addressDomain, DNS_DEFAULTS } from './config.js';
export type { DnsRegistrarConfig, DnsDomainConfig } from './config.js';
export { DNS_EVENT, dnsRegistrationStreamId, outcomeEventType } from './events.js';
export type { DnsEventType, DnsOutcome, DnsOperation, DnsServerAnswer, DnsRegistrationEventData } from './events.js';
export { plannedRecords, publishOperations, withdrawOperations, evolveOwnership, initialOwnership, srvOwner } from './registration.js';
export type { Ownership } from './registration.js';

// Resolver side, moved to @kmsgrid/dns-client; re-exported for existing callers (new code imports it from there).
export { orderSrvRecords, resolveKmsHosts, queryRecords, DnsLookupError, exchange, DnsExchangeError } from '@kmsgrid/dns-client';
export type { SrvTarget, KmsHost, QueryResult, ResolveOptions, DnsLookupErrorKind } from '@kmsgrid/dns-client';
export type { DnsServer, DnsTransport, ExchangeOptions, ExchangeResult, DnsExchangeErrorKind } from '@kmsgrid/dns-client';
export { DnsWireError, RR_TYPE, RR_CLASS, OPCODE, RCODE, TSIG_ERROR, rcodeName, tsigErrorName, canonicalName, nameProblem } from '@kmsgrid/dns-client';
export type { DnsWireErrorCode, RcodeName, TsigErrorName, RrTypeName, DnsRecord, DnsRecordType, SrvData } from '@kmsgrid/dns-client';

// UPDATE client
export { sendUpdate, DnsUpdateError } from './net/update-client.js';
export type { UpdateAnswer, UpdateErrorKind, SendUpdateOptions } from './net/update-client.js';

// Wire layer over dns-packet (UPDATE, class NONE/ANY, TSIG)
export { normalizeRecord, recordKey, formatRecord, encodeRdata, decodeRdata } from './wire/records.js';
export { encodeHeader, decodeHeader, scanMessage } from './wire/message.js';
export type { DnsHeader, RecordSpan, ScannedMessage } from './wire/message.js';
export { encodeUpdate, decodeUpdate } from './wire/update-message.js';
export type { UpdateMessage, UpdateOperation, Prerequisite } from './wire/update-message.js';
export { signMessage, verifyMessage, readTsig, computeTsigMac, tsigAlgorithm, TSIG_ALGORITHMS, DEFAULT_FUDGE } from './wire/tsig.js';
export type { TsigKey, TsigAlgorithm, TsigRecord, TsigFields, TsigProblem, TsigVerification, SignOptions } from './wire/tsig.js';

// Test support: a private BIND 9 on loopback (int tests here, the app's, kms-client discovery)
export { startTestBind, freeDualPort, BIND_MISSING_MESSAGE } from './testing/bind.js';
export type { TestBind, TestBindOptions, TestZone } from './testing/bind.js';
export { dnsRegistrarMetrics } from './metrics.js';
