import { isIPv4, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { canonicalName, DnsWireError, RR_TYPE, type DnsRecord, type DnsRecordType } from '@kmsgrid/dns-client';

// dns-packet exports one { encode, decode, encodingLength } triple per structure at
// run time; @types/dns-packet declares only the message-level functions.
type Codec<T> = {
  encode: ((value: T, buf?: Buffer, offset?: number) => Buffer) & { bytes: number };
  decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
  encodingLength(value: T): number;
};
/** The dns-packet codecs this library builds on (names, SRV/A/AAAA rdata, questions). */
export const packetCodecs = dnsPacket as unknown as {
  name: Codec<string>;
  srv: Codec<{ priority: number; weight: number; port: number; target: string }>;
  a: Codec<string>;
  aaaa: Codec<string>;
};

/** A name in uncompressed wire format (RFC 8945 and RFC 2782 forbid compression where we use it). */
export function encodeName(name: string): Buffer {
  const n = name === '' ? '' : canonicalName(name);
  return packetCodecs.name.encode(n);
}

/** Reads a possibly compressed name at `offset`; `bytes` is its length in place. */
export function decodeName(buf: Buffer, offset: number): { name: string; bytes: number } {
  try {
    const name = packetCodecs.name.decode(buf, offset);
    return { name: name.toLowerCase(), bytes: packetCodecs.name.decode.bytes };
  } catch (e) {
    throw new DnsWireError('DNS_BAD_NAME', e instanceof Error ? e.message : String(e), offset, { cause: e });
  }
}

const u16 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffff;

/** Checks a record and returns it with canonical names and addresses. Throws DNS_BAD_ARGUMENT. */
export function normalizeRecord(r: DnsRecord): DnsRecord {
  const name = canonicalName(r.name);
  if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > 0x7fffffff) {
    // RFC 2181 §8: a TTL is 0 .. 2^31 - 1.
    throw new DnsWireError('DNS_BAD_ARGUMENT', `TTL ${r.ttl} of ${name} is not 0..2147483647`);
  }
  switch (r.type) {
    case 'SRV': {
      const { priority, weight, port } = r.data;
      if (![priority, weight, port].every(u16)) throw new DnsWireError('DNS_BAD_ARGUMENT', `SRV ${name}: priority, weight and port must be 0..65535`);
      return { name, type: 'SRV', ttl: r.ttl, data: { priority, weight, port, target: canonicalName(r.data.target) } };
    }
    case 'A':
      if (!isIPv4(r.data)) throw new DnsWireError('DNS_BAD_ARGUMENT', `A ${name}: ${JSON.stringify(r.data)} is not an IPv4 address`);
      return { name, type: 'A', ttl: r.ttl, data: r.data };
    case 'AAAA':
      if (!isIPv6(r.data)) throw new DnsWireError('DNS_BAD_ARGUMENT', `AAAA ${name}: ${JSON.stringify(r.data)} is not an IPv6 address`);
      // One text form per address, so keys compare equal however the operator wrote it.
      return { name, type: 'AAAA', ttl: r.ttl, data: packetCodecs.aaaa.decode(packetCodecs.aaaa.encode(r.data)) };
  }
}

/** Record data in wire format, without the RDLENGTH prefix. */
export function encodeRdata(r: DnsRecord): Buffer {
  const n = normalizeRecord(r);
  switch (n.type) {
    case 'SRV':
      return packetCodecs.srv.encode(n.data).subarray(2);
    case 'A':
      return packetCodecs.a.encode(n.data).subarray(2);
    case 'AAAA':
      return packetCodecs.aaaa.encode(n.data).subarray(2);
  }
}

/** Decodes SRV/A/AAAA rdata of `length` bytes at `offset`; other types yield undefined. */
export function decodeRdata(type: number, buf: Buffer, offset: number, length: number): DnsRecord['data'] | undefined {
  const end = offset + length;
  if (end > buf.length) throw new DnsWireError('DNS_SHORT', `rdata of ${length} bytes runs past the end of the message`, offset);
  if (type === RR_TYPE.A || type === RR_TYPE.AAAA) {
    const size = type === RR_TYPE.A ? 4 : 16;
    if (length !== size) throw new DnsWireError('DNS_BAD_MESSAGE', `${type === RR_TYPE.A ? 'A' : 'AAAA'} rdata is ${length} bytes, not ${size}`, offset);
    // The dns-packet decoders read their own length prefix, two bytes before the data.
    const withPrefix = Buffer.concat([Buffer.from([0, size]), buf.subarray(offset, end)]);
    return type === RR_TYPE.A ? packetCodecs.a.decode(withPrefix) : packetCodecs.aaaa.decode(withPrefix);
  }
  if (type === RR_TYPE.SRV) {
    if (length < 7) throw new DnsWireError('DNS_BAD_MESSAGE', `SRV rdata is ${length} bytes, less than 7`, offset);
    const target = decodeName(buf, offset + 6);
    if (offset + 6 + target.bytes > end) throw new DnsWireError('DNS_BAD_MESSAGE', 'SRV target runs past its rdata', offset + 6);
    return { priority: buf.readUInt16BE(offset), weight: buf.readUInt16BE(offset + 2), port: buf.readUInt16BE(offset + 4), target: target.name };
  }
  return undefined;
}

/** Identity of a record regardless of TTL (RFC 2136 §1.1: an RR is its name, class, type and rdata). */
export function recordKey(r: DnsRecord): string {
  const n = normalizeRecord(r);
  return `${n.name} ${n.type} ${formatData(n)}`;
}

/** Zone-file text, e.g. `_vlmcs._tcp.kms.test. 3600 IN SRV 0 0 1688 kms1.kms.test.` */
export function formatRecord(r: DnsRecord): string {
  return `${r.name}. ${r.ttl} IN ${r.type} ${formatData(r)}`;
}

function formatData(r: DnsRecord): string {
  return r.type === 'SRV' ? `${r.data.priority} ${r.data.weight} ${r.data.port} ${r.data.target}.` : r.data;
}

/** One resource record in wire format (uncompressed owner name). */
export function encodeRr(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  const owner = encodeName(name);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

/** The numeric type of a record type name. */
export function recordTypeValue(type: DnsRecordType | 'ANY'): number {
  return RR_TYPE[type];
}
