import { DnsWireError } from '@kmsgrid/dns-client';
import { decodeName } from './records.js';

/** The fixed 12-byte header (RFC 1035 §4.1.1). */
export type DnsHeader = Readonly<{
  id: number;
  /** QR: a response. */
  response: boolean;
  opcode: number;
  /** TC: truncated (retry over TCP). */
  truncated: boolean;
  /** The 4-bit header RCODE. */
  rcode: number;
  /** The full 16-bit flags word. */
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}>;

export const HEADER_BYTES = 12;

/** Encodes a header: `flags` holds opcode, RD and the like; counts come separately. */
export function encodeHeader(h: Readonly<{ id: number; flags: number; qdcount: number; ancount: number; nscount: number; arcount: number }>): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt16BE(h.id, 0);
  b.writeUInt16BE(h.flags, 2);
  b.writeUInt16BE(h.qdcount, 4);
  b.writeUInt16BE(h.ancount, 6);
  b.writeUInt16BE(h.nscount, 8);
  b.writeUInt16BE(h.arcount, 10);
  return b;
}

/** Decodes the header at the start of `buf`. */
export function decodeHeader(buf: Buffer): DnsHeader {
  if (buf.length < HEADER_BYTES) throw new DnsWireError('DNS_SHORT', `a DNS message needs 12 header bytes, got ${buf.length}`, 0);
  const flags = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    flags,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

/** In UPDATE (RFC 2136 §2) the four sections are zone, prerequisite, update and additional. */
export type SectionName = 'answer' | 'authority' | 'additional';

/** Where one resource record sits in a message, with its fixed fields. */
export type RecordSpan = Readonly<{
  section: SectionName;
  /** Offset of the owner name. */
  offset: number;
  name: string;
  type: number;
  klass: number;
  ttl: number;
  rdataOffset: number;
  rdlength: number;
  /** Offset just past the record. */
  end: number;
}>;

export type QuestionEntry = Readonly<{ name: string; type: number; klass: number }>;

/** A message cut into header, questions and record spans; rdata is left in place. */
export type ScannedMessage = Readonly<{ header: DnsHeader; questions: readonly QuestionEntry[]; records: readonly RecordSpan[] }>;

/**
 * Walks a whole message, checking every length against the buffer before it
 * is used, and returns where each record is. Trailing bytes are an error.
 */
export function scanMessage(buf: Buffer): ScannedMessage {
  const header = decodeHeader(buf);
  let offset = HEADER_BYTES;
  const questions: QuestionEntry[] = [];
  for (let i = 0; i < header.qdcount; i++) {
    const n = decodeName(buf, offset);
    offset += n.bytes;
    need(buf, offset, 4, 'question type and class');
    questions.push({ name: n.name, type: buf.readUInt16BE(offset), klass: buf.readUInt16BE(offset + 2) });
    offset += 4;
  }
  const records: RecordSpan[] = [];
  const sections: [SectionName, number][] = [
    ['answer', header.ancount],
    ['authority', header.nscount],
    ['additional', header.arcount],
  ];
  for (const [section, count] of sections) {
    for (let i = 0; i < count; i++) {
      const start = offset;
      const n = decodeName(buf, offset);
      offset += n.bytes;
      need(buf, offset, 10, 'record type, class, TTL and RDLENGTH');
      const rdlength = buf.readUInt16BE(offset + 8);
      need(buf, offset + 10, rdlength, 'record data');
      records.push({
        section,
        offset: start,
        name: n.name,
        type: buf.readUInt16BE(offset),
        klass: buf.readUInt16BE(offset + 2),
        ttl: buf.readUInt32BE(offset + 4),
        rdataOffset: offset + 10,
        rdlength,
        end: offset + 10 + rdlength,
      });
      offset += 10 + rdlength;
    }
  }
  if (offset !== buf.length) throw new DnsWireError('DNS_BAD_MESSAGE', `${buf.length - offset} bytes after the last record`, offset);
  return { header, questions, records };
}

function need(buf: Buffer, offset: number, n: number, what: string): void {
  if (offset + n > buf.length) throw new DnsWireError('DNS_SHORT', `the message ends inside the ${what}`, offset);
}
