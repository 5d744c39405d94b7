import { canonicalName, DnsWireError, OPCODE, RR_CLASS, RR_TYPE, type DnsRecord, type DnsRecordType } from '@kmsgrid/dns-client';
import { encodeHeader, scanMessage, type RecordSpan } from './message.js';
import { decodeRdata, encodeName, encodeRdata, encodeRr, normalizeRecord } from './records.js';

/**
 * RFC 2136 §2.4 prerequisites. Each is all-or-nothing on an RRset or a name:
 * if one fails the server applies nothing and answers YXDOMAIN, YXRRSET,
 * NXDOMAIN or NXRRSET.
 */
export type Prerequisite =
  /** The RRset exists, whatever its records (class ANY, empty rdata). */
  | Readonly<{ kind: 'rrset-exists'; name: string; type: DnsRecordType }>
  /** The RRset is exactly these records (class IN, TTL 0); give every record of the set. */
  | Readonly<{ kind: 'rrset-equals'; records: readonly DnsRecord[] }>
  /** The RRset does not exist (class NONE, empty rdata). */
  | Readonly<{ kind: 'rrset-absent'; name: string; type: DnsRecordType }>
  /** The name owns at least one RR (class ANY, type ANY). */
  | Readonly<{ kind: 'name-in-use'; name: string }>
  /** The name owns no RR (class NONE, type ANY). */
  | Readonly<{ kind: 'name-absent'; name: string }>;

/** RFC 2136 §2.5 update operations, applied in order. */
export type UpdateOperation =
  /** Adds the record (class IN); adding a record already present only resets the RRset's TTL. */
  | Readonly<{ kind: 'add'; record: DnsRecord }>
  /** Deletes exactly this record (class NONE, TTL 0, its rdata): nobody else's records are touched. */
  | Readonly<{ kind: 'delete-record'; record: DnsRecord }>
  /** Deletes the whole RRset (class ANY, empty rdata). kmsgrid never sends this for shared names. */
  | Readonly<{ kind: 'delete-rrset'; name: string; type: DnsRecordType }>
  /** Deletes every RRset of the name (class ANY, type ANY). */
  | Readonly<{ kind: 'delete-name'; name: string }>;

/** A dynamic UPDATE request for one zone (RFC 2136 §2). */
export type UpdateMessage = Readonly<{
  id: number;
  /** The zone to update (sent as the single zone-section entry, type SOA). */
  zone: string;
  prerequisites: readonly Prerequisite[];
  updates: readonly UpdateOperation[];
}>;

const EMPTY = Buffer.alloc(0);

/**
 * Encodes an UPDATE. What dns-packet's message encoder cannot express (opcode
 * UPDATE, class NONE, empty rdata for class ANY/NONE) is written here; names
 * and SRV/A/AAAA rdata come from dns-packet's codecs. Names are never
 * compressed, so the bytes are canonical and easy to compare.
 *
 * @example encodeUpdate({ id: 1, zone: 'kms.test', prerequisites: [], updates: [{ kind: 'add', record }] })
 */
export function encodeUpdate(msg: UpdateMessage): Buffer {
  if (!Number.isInteger(msg.id) || msg.id < 0 || msg.id > 0xffff) throw new DnsWireError('DNS_BAD_ARGUMENT', `message id ${msg.id} is not 0..65535`);
  const zone = canonicalName(msg.zone);
  const prereqs = msg.prerequisites.flatMap(encodePrerequisite);
  const updates = msg.updates.map(encodeOperation);
  const zoneEntry = Buffer.alloc(4);
  zoneEntry.writeUInt16BE(RR_TYPE.SOA, 0);
  zoneEntry.writeUInt16BE(RR_CLASS.IN, 2);
  const header = encodeHeader({ id: msg.id, flags: OPCODE.UPDATE << 11, qdcount: 1, ancount: prereqs.length, nscount: updates.length, arcount: 0 });
  return Buffer.concat([header, encodeName(zone), zoneEntry, ...prereqs, ...updates]);
}

function encodePrerequisite(p: Prerequisite): Buffer[] {
  switch (p.kind) {
    case 'rrset-exists':
      return [encodeRr(p.name, RR_TYPE[p.type], RR_CLASS.ANY, 0, EMPTY)];
    case 'rrset-equals':
      if (p.records.length === 0) throw new DnsWireError('DNS_BAD_ARGUMENT', 'an rrset-equals prerequisite needs at least one record');
      return p.records.map((r) => encodeRr(r.name, RR_TYPE[r.type], RR_CLASS.IN, 0, encodeRdata(r)));
    case 'rrset-absent':
      return [encodeRr(p.name, RR_TYPE[p.type], RR_CLASS.NONE, 0, EMPTY)];
    case 'name-in-use':
      return [encodeRr(p.name, RR_TYPE.ANY, RR_CLASS.ANY, 0, EMPTY)];
    case 'name-absent':
      return [encodeRr(p.name, RR_TYPE.ANY, RR_CLASS.NONE, 0, EMPTY)];
  }
}

function encodeOperation(u: UpdateOperation): Buffer {
  switch (u.kind) {
    case 'add': {
      const r = normalizeRecord(u.record);
      return encodeRr(r.name, RR_TYPE[r.type], RR_CLASS.IN, r.ttl, encodeRdata(r));
    }
    case 'delete-record':
      return encodeRr(u.record.name, RR_TYPE[u.record.type], RR_CLASS.NONE, 0, encodeRdata(u.record));
    case 'delete-rrset':
      return encodeRr(u.name, RR_TYPE[u.type], RR_CLASS.ANY, 0, EMPTY);
    case 'delete-name':
      return encodeRr(u.name, RR_TYPE.ANY, RR_CLASS.ANY, 0, EMPTY);
  }
}

/**
 * Decodes an UPDATE request back into its operations (the inverse of
 * {@link encodeUpdate} for the record types kmsgrid uses). Additional-section
 * records (a TSIG) are ignored. Throws DnsWireError on anything else.
 */
export function decodeUpdate(buf: Buffer): UpdateMessage {
  const { header, questions, records } = scanMessage(buf);
  if (header.opcode !== OPCODE.UPDATE) throw new DnsWireError('DNS_BAD_MESSAGE', `opcode ${header.opcode} is not UPDATE (5)`, 2);
  const zone = questions[0];
  if (questions.length !== 1 || !zone || zone.type !== RR_TYPE.SOA) throw new DnsWireError('DNS_BAD_MESSAGE', 'an UPDATE has exactly one zone entry of type SOA', 12);
  const prerequisites: Prerequisite[] = [];
  for (const span of records.filter((r) => r.section === 'answer')) {
    const p = decodePrerequisite(buf, span);
    const last = prerequisites.at(-1);
    // Value-dependent prerequisites of one RRset arrive as consecutive records (RFC 2136 §2.4.2).
    if (p.kind === 'rrset-equals' && last?.kind === 'rrset-equals' && last.records[0]?.name === p.records[0]?.name && last.records[0]?.type === p.records[0]?.type) {
      prerequisites[prerequisites.length - 1] = { kind: 'rrset-equals', records: [...last.records, ...p.records] };
    } else {
      prerequisites.push(p);
    }
  }
  const updates = records.filter((r) => r.section === 'authority').map((span) => decodeOperation(buf, span));
  return { id: header.id, zone: zone.name, prerequisites, updates };
}

function typeName(span: RecordSpan): DnsRecordType {
  if (span.type === RR_TYPE.SRV) return 'SRV';
  if (span.type === RR_TYPE.A) return 'A';
  if (span.type === RR_TYPE.AAAA) return 'AAAA';
  throw new DnsWireError('DNS_BAD_MESSAGE', `record type ${span.type} is not SRV, A or AAAA`, span.offset);
}

function recordOf(buf: Buffer, span: RecordSpan, ttl: number): DnsRecord {
  const type = typeName(span);
  const data = decodeRdata(span.type, buf, span.rdataOffset, span.rdlength);
  return { name: span.name, type, ttl, data } as DnsRecord;
}

function decodePrerequisite(buf: Buffer, span: RecordSpan): Prerequisite {
  const empty = span.rdlength === 0;
  if (span.type === RR_TYPE.ANY && empty && span.klass === RR_CLASS.ANY) return { kind: 'name-in-use', name: span.name };
  if (span.type === RR_TYPE.ANY && empty && span.klass === RR_CLASS.NONE) return { kind: 'name-absent', name: span.name };
  if (empty && span.klass === RR_CLASS.ANY) return { kind: 'rrset-exists', name: span.name, type: typeName(span) };
  if (empty && span.klass === RR_CLASS.NONE) return { kind: 'rrset-absent', name: span.name, type: typeName(span) };
  if (span.klass === RR_CLASS.IN) return { kind: 'rrset-equals', records: [recordOf(buf, span, 0)] };
  throw new DnsWireError('DNS_BAD_MESSAGE', `prerequisite of class ${span.klass} with ${span.rdlength} bytes of rdata`, span.offset);
}

function decodeOperation(buf: Buffer, span: RecordSpan): UpdateOperation {
  const empty = span.rdlength === 0;
  if (span.klass === RR_CLASS.IN) return { kind: 'add', record: recordOf(buf, span, span.ttl) };
  if (span.klass === RR_CLASS.NONE && !empty) return { kind: 'delete-record', record: recordOf(buf, span, 0) };
  if (span.klass === RR_CLASS.ANY && empty && span.type === RR_TYPE.ANY) return { kind: 'delete-name', name: span.name };
  if (span.klass === RR_CLASS.ANY && empty) return { kind: 'delete-rrset', name: span.name, type: typeName(span) };
  throw new DnsWireError('DNS_BAD_MESSAGE', `update of class ${span.klass} with ${span.rdlength} bytes of rdata`, span.offset);
}
