// Public API of @kmsgrid/dns-client: the resolver side of DNS (kms-client --discover, and the
// registrar's read-back). UPDATE, TSIG and the registrar live in @kmsgrid/dns-registrar.

// Discovery of KMS hosts (_vlmcs._tcp SRV, RFC 2782 order)
export { resolveKmsHosts, queryRecords, kmsSrvName, DnsLookupError, describeDnsLookupError } from './net/resolver.js';
export type { KmsHost, QueryResult, ResolveOptions, DnsLookupErrorKind } from './net/resolver.js';
export { orderSrvRecords } from './srv-selection.js';
export type { SrvTarget } from './srv-selection.js';

// Which server to ask
export { DEFAULT_DNS_PORT, RESOLV_CONF, parseDnsServer, formatDnsServer, readResolvConf, systemDnsServer } from './net/server.js';
export type { DnsServerParse, SystemDnsServer } from './net/server.js';

// Transport
export { exchange, DnsExchangeError } from './net/exchange.js';
export type { DnsServer, DnsTransport, ExchangeOptions, ExchangeResult, DnsExchangeErrorKind } from './net/exchange.js';

// Records, names, registry values
export { DnsWireError } from './wire/errors.js';
export type { DnsWireErrorCode } from './wire/errors.js';
export { RR_TYPE, RR_CLASS, OPCODE, RCODE, TSIG_ERROR, rcodeName, tsigErrorName } from './wire/constants.js';
export type { RcodeName, TsigErrorName, RrTypeName } from './wire/constants.js';
export { canonicalName, nameProblem } from './wire/records.js';
export type { DnsRecord, DnsRecordType, SrvData } from './wire/records.js';
