import { canonicalName, DnsWireError, nameProblem, RR_CLASS, RR_TYPE, type DnsRecord } from '@kmsgrid/dns-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNsupdateCapture } from './fixtures/nsupdate-tsig.js';
import { scanMessage } from './message.js';
import { readTsig } from './tsig.js';
import { decodeUpdate, encodeUpdate, type Prerequisite, type UpdateMessage, type UpdateOperation } from './update-message.js';

const srv: DnsRecord = { name: '_vlmcs._tcp.kms.test', type: 'SRV', ttl: 3600, data: { priority: 10, weight: 60, port: 1688, target: 'kms1.kms.test' } };
const a: DnsRecord = { name: 'kms1.kms.test', type: 'A', ttl: 3600, data: '192.0.2.10' };
const aaaa: DnsRecord = { name: 'kms1.kms.test', type: 'AAAA', ttl: 3600, data: '2001:db8::10' };

describe('encodeUpdate', () => {
  it('writes the same message as nsupdate for one SRV add (header, zone, update section)', () => {
    const { request } = loadNsupdateCapture();
    const unsigned = Buffer.from(request.subarray(0, readTsig(request)!.offset));
    unsigned.writeUInt16BE(0, 10);
    const ours = encodeUpdate({
      id: request.readUInt16BE(0),
      zone: 'KMS.test.',
      prerequisites: [],
      updates: [{ kind: 'add', record: { ...srv, name: '_vlmcs._tcp.kms.test.', data: { priority: 0, weight: 0, port: 1688, target: 'kms1.kms.test.' } } }],
    });
    expect(ours.toString('hex')).toBe(unsigned.toString('hex'));
  });

  it('puts opcode UPDATE in the flags and the counts in ZOCOUNT/PRCOUNT/UPCOUNT', () => {
    const buf = encodeUpdate({ id: 0x1234, zone: 'kms.test', prerequisites: [{ kind: 'name-in-use', name: 'kms.test' }], updates: [{ kind: 'add', record: srv }, { kind: 'add', record: a }] });
    const { header, questions } = scanMessage(buf);
    expect(header).toMatchObject({ id: 0x1234, opcode: 5, response: false, qdcount: 1, ancount: 1, nscount: 2, arcount: 0 });
    expect(questions).toEqual([{ name: 'kms.test', type: RR_TYPE.SOA, klass: RR_CLASS.IN }]);
  });

  it('deletes one record with class NONE, TTL 0 and its exact rdata (RFC 2136 §2.5.4)', () => {
    const buf = encodeUpdate({ id: 1, zone: 'kms.test', prerequisites: [], updates: [{ kind: 'delete-record', record: srv }] });
    const [rr] = scanMessage(buf).records;
    expect(rr).toMatchObject({ section: 'authority', name: '_vlmcs._tcp.kms.test', type: RR_TYPE.SRV, klass: RR_CLASS.NONE, ttl: 0 });
    expect(buf.subarray(rr!.rdataOffset, rr!.end).toString('hex')).toBe('000a003c0698046b6d7331036b6d73047465737400');
  });

  it('deletes an RRset or a name with class ANY and empty rdata (RFC 2136 §2.5.2, §2.5.3)', () => {
    const buf = encodeUpdate({ id: 1, zone: 'kms.test', prerequisites: [], updates: [{ kind: 'delete-rrset', name: srv.name, type: 'SRV' }, { kind: 'delete-name', name: 'old.kms.test' }] });
    expect(scanMessage(buf).records.map((r) => [r.type, r.klass, r.ttl, r.rdlength])).toEqual([
      [RR_TYPE.SRV, RR_CLASS.ANY, 0, 0],
      [RR_TYPE.ANY, RR_CLASS.ANY, 0, 0],
    ]);
  });

  it('encodes the five prerequisite kinds (RFC 2136 §2.4)', () => {
    const prerequisites: Prerequisite[] = [
      { kind: 'rrset-exists', name: srv.name, type: 'SRV' },
      { kind: 'rrset-equals', records: [srv, { ...srv, data: { ...srv.data, target: 'kms2.kms.test' } }] },
      { kind: 'rrset-absent', name: a.name, type: 'A' },
      { kind: 'name-in-use', name: 'kms.test' },
      { kind: 'name-absent', name: 'new.kms.test' },
    ];
    const buf = encodeUpdate({ id: 9, zone: 'kms.test', prerequisites, updates: [] });
    expect(scanMessage(buf).records.map((r) => [r.section, r.type, r.klass, r.ttl, r.rdlength > 0])).toEqual([
      ['answer', RR_TYPE.SRV, RR_CLASS.ANY, 0, false],
      ['answer', RR_TYPE.SRV, RR_CLASS.IN, 0, true],
      ['answer', RR_TYPE.SRV, RR_CLASS.IN, 0, true],
      ['answer', RR_TYPE.A, RR_CLASS.NONE, 0, false],
      ['answer', RR_TYPE.ANY, RR_CLASS.ANY, 0, false],
      ['answer', RR_TYPE.ANY, RR_CLASS.NONE, 0, false],
    ]);
    expect(decodeUpdate(buf).prerequisites).toEqual(prerequisites.map((p) => (p.kind === 'rrset-equals' ? { ...p, records: p.records.map((r) => ({ ...r, ttl: 0 })) } : p)));
  });

  it.each([
    [{ ...srv, name: 'a..b' }, /empty label/],
    [{ ...srv, name: `${'x'.repeat(64)}.test` }, /longer than 63/],
    [{ ...srv, data: { ...srv.data, port: 70000 } }, /0\.\.65535/],
    [{ ...a, data: '999.1.1.1' }, /not an IPv4/],
    [{ ...aaaa, data: '192.0.2.1' }, /not an IPv6/],
    [{ ...srv, ttl: -1 }, /TTL/],
  ] as [DnsRecord, RegExp][])('refuses a bad record %#', (record, message) => {
    expect(() => encodeUpdate({ id: 1, zone: 'kms.test', prerequisites: [], updates: [{ kind: 'add', record }] })).toThrow(message);
    expect(() => encodeUpdate({ id: 1, zone: 'kms.test', prerequisites: [], updates: [{ kind: 'add', record }] })).toThrow(DnsWireError);
  });

  it('checks names like a zone file would', () => {
    expect(nameProblem('_vlmcs._tcp.example.com.')).toBeUndefined();
    expect(nameProblem('-bad.example')).toMatch(/label "-bad"/);
    expect(nameProblem(`${'a'.repeat(63)}.`.repeat(4) + 'com')).toMatch(/255 bytes/);
    expect(canonicalName('KMS1.Example.COM.')).toBe('kms1.example.com');
  });
});

const label = fc.stringMatching(/^[a-z0-9_](?:[a-z0-9_-]{0,10}[a-z0-9_])?$/);
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => `${l.join('.')}.test`);
const u16 = fc.integer({ min: 0, max: 0xffff });
const ttl = fc.integer({ min: 0, max: 0x7fffffff });
const record: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.record({ name, type: fc.constant('SRV' as const), ttl, data: fc.record({ priority: u16, weight: u16, port: u16, target: name }) }),
  fc.record({ name, type: fc.constant('A' as const), ttl, data: fc.ipV4() }),
);
const operation: fc.Arbitrary<UpdateOperation> = fc.oneof(
  record.map((r) => ({ kind: 'add' as const, record: r })),
  record.map((r) => ({ kind: 'delete-record' as const, record: { ...r, ttl: 0 } })),
  name.map((n) => ({ kind: 'delete-rrset' as const, name: n, type: 'SRV' as const })),
  name.map((n) => ({ kind: 'delete-name' as const, name: n })),
);

describe('decodeUpdate', () => {
  it('inverts encodeUpdate', () => {
    fc.assert(
      fc.property(u16, name, fc.array(operation, { maxLength: 6 }), (id, zone, updates) => {
        const msg: UpdateMessage = { id, zone, prerequisites: [], updates };
        expect(decodeUpdate(encodeUpdate(msg))).toEqual(msg);
      }),
    );
  });

  it('throws a DnsWireError with an offset for every truncation, never another error', () => {
    const buf = encodeUpdate({ id: 7, zone: 'kms.test', prerequisites: [{ kind: 'name-in-use', name: 'kms.test' }], updates: [{ kind: 'add', record: srv }, { kind: 'delete-record', record: aaaa }] });
    for (let n = 0; n < buf.length; n++) {
      let err: unknown;
      try {
        decodeUpdate(buf.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${n}`).toBeInstanceOf(DnsWireError);
      expect((err as DnsWireError).offset, `cut at ${n}`).toBeTypeOf('number');
    }
    expect(() => decodeUpdate(Buffer.concat([buf, Buffer.from([0])]))).toThrow(/1 bytes after the last record/);
  });

  it('refuses a compression pointer loop', () => {
    const buf = encodeUpdate({ id: 7, zone: 'kms.test', prerequisites: [], updates: [] });
    const loop = Buffer.concat([buf.subarray(0, 12), Buffer.from([0xc0, 12]), buf.subarray(buf.length - 4)]);
    expect(() => decodeUpdate(loop)).toThrow(DnsWireError);
  });
});
