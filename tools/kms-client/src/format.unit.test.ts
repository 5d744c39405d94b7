import { describe, expect, it } from 'vitest';
import type { ActivationResult, DiscoveryInfo, RequestOutcome } from '@kmsgrid/kms-client';
import type { Guid } from '@kmsgrid/kms-protocol';
import { describeFailure, formatDiscovery, formatJson, formatLastLine, formatNegotiation, formatRequest, formatText, formatTrying } from './format.js';

const g = (s: string) => s as Guid;
const request: RequestOutcome = {
  connection: 1,
  sequence: 1,
  protocol: 6,
  product: {
    name: 'Windows 10 Enterprise',
    skuName: 'Windows 11 Enterprise',
    applicationId: g('55c92734-d682-4d71-983e-d6ec3f16059f'),
    applicationName: 'Windows',
    kmsCountedId: g('58e2134f-8e11-4d17-9cb2-91069c151148'),
    kmsItemName: 'Windows 10/11 2015 (Volume)',
    skuId: g('73111121-5638-40f6-bc11-f1d7b0d64300'),
    defaultProtocol: 6,
    nPolicy: 25,
  },
  request: {
    majorVersion: 6,
    minorVersion: 0,
    applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
    skuId: '73111121-5638-40f6-bc11-f1d7b0d64300',
    kmsCountedId: '58e2134f-8e11-4d17-9cb2-91069c151148',
    cmid: '6f0f6a3c-1111-4aaa-8bbb-000000000006',
    previousCmid: '00000000-0000-0000-0000-000000000000',
    workstation: 'VECTOR-V6.example.test',
    nPolicy: 25,
    licenseStatus: 2,
    remainingMinutes: 43200,
    vm: false,
    clientTime: '2026-11-27T22:55:55.000Z',
    clientFileTime: '134090325550000000',
  },
  syntax: 'ndr64',
  callId: 3,
  contextId: 1,
  status: 'activated',
  response: {
    majorVersion: 6,
    minorVersion: 0,
    size: 260,
    epid: '03612-00206-556-123727-03-1033-17763.0000-2972018',
    hwid: '3A1C049600B60076',
    cmid: '6f0f6a3c-1111-4aaa-8bbb-000000000006',
    clientTime: '2026-11-27T22:55:55.000Z',
    count: 50,
    activationInterval: 120,
    renewalInterval: 10080,
  },
  checks: [
    { name: 'hmac', ok: true },
    { name: 'cmid', ok: true },
  ],
  durationMs: 4,
};

const ok: ActivationResult = {
  ok: true,
  exitCode: 0,
  target: '127.0.0.1:1688',
  connections: [
    {
      index: 1,
      local: '127.0.0.1:50000',
      negotiation: {
        offered: { ndr32: true, ndr64: true, btfn: true, multiplex: true },
        ndr32: true,
        ndr64: true,
        btfn: true,
        btfnFeatures: 3,
        alterContext: true,
        assocGroupId: 0x1001,
        maxXmitFrag: 5840,
        maxRecvFrag: 5840,
        secondaryAddress: '1688',
        multiplex: true,
      },
      checks: [{ name: 'bind-ack-call-id', ok: true }],
      requests: [request],
    },
  ],
  totals: { planned: 1, sent: 1, activated: 1, failed: 0 },
  failures: 0,
  durationMs: 9,
};

describe('formatRequest', () => {
  it('says when the count is below the product N-policy, as a Windows client would judge it', () => {
    const low = { ...request, response: { ...request.response!, count: 3 } };
    expect(formatRequest(low, 1, false)).toContain(
      'Client would activate       : no: count 3 < N-policy 25 (Windows reports 0xC004F038 and retries after the activation interval)',
    );
  });

  it('prints the response like vlmcs -v, with the checks', () => {
    expect(formatRequest(request, 2, false)).toBe(
      [
        'Request 1 of 2 on connection 1 (KMS v6.0, NDR64, call id 3, context 1)',
        '  Product                     : Windows 10 Enterprise',
        'Response (260 bytes, KMS v6.0)',
        '  KMS host ePID               : 03612-00206-556-123727-03-1033-17763.0000-2972018',
        '  KMS host hardware ID        : 3A1C049600B60076',
        '  Client machine ID           : 6f0f6a3c-1111-4aaa-8bbb-000000000006',
        '  Client time                 : 2026-11-27 22:55:55 UTC',
        '  Current count               : 50',
        '  Client would activate       : yes (count 50 >= N-policy 25)',
        '  Activation interval         : 120 min (2 h)',
        '  Renewal interval            : 10080 min (7 days)',
        '  Checks                      : all 2 passed (hmac, cmid)',
        '  Result                      : activated (4 ms)',
      ].join('\n'),
    );
  });

  it('adds the request fields when verbose', () => {
    const text = formatRequest(request, 1, true);
    expect(text).toContain('  SKU ID (Activation ID)      : 73111121-5638-40f6-bc11-f1d7b0d64300 (Windows 11 Enterprise)');
    expect(text).toContain('  License status              : 2 (OOB grace)');
    expect(text).toContain('  Workstation name            : VECTOR-V6.example.test');
    expect(text).toContain('  Remaining time              : 43200 min (30 days)');
  });

  it('lists failed checks and the HRESULT answer', () => {
    const bad: RequestOutcome = {
      ...request,
      status: 'hresult',
      response: undefined,
      hresult: 0xc004f042,
      checks: [{ name: 'response-stub', ok: false, detail: 'error stub of 9 bytes, expected 12' }],
      failure: { kind: 'hresult', message: 'x', hresult: 0xc004f042 },
    };
    const text = formatRequest(bad, 1, false);
    expect(text).toContain('  Answer                      : HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)');
    expect(text).toContain('    FAILED response-stub: error stub of 9 bytes, expected 12');
    expect(text).toContain('  Result                      : HRESULT');
  });
});

describe('last line and report', () => {
  it('says OK with counts', () => {
    expect(formatLastLine(ok)).toBe('kms-client: OK: 1 of 1 activation succeeded against 127.0.0.1:1688 (count 50)');
    expect(formatText(ok, 1, true).split('\n').at(-1)).toBe(formatLastLine(ok));
    expect(formatNegotiation(ok.connections[0]!.negotiation!)).toBe(
      'NDR32 (alter_context) + NDR64 + BTFN (0x3) of {NDR32, NDR64, BTFN}; multiplex; assoc group 0x00001001; max frag 5840/5840; secondary address "1688"',
    );
  });

  it('says FAILED with the HRESULT name, or the network reason', () => {
    const hr: ActivationResult = { ...ok, ok: false, exitCode: 1, failure: { kind: 'hresult', message: 'x', hresult: 0xc004f042 }, failures: 1 };
    expect(formatLastLine(hr)).toBe('kms-client: FAILED: HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)');
    const refused: ActivationResult = { ...ok, ok: false, exitCode: 3, failure: { kind: 'refused', message: 'connect: connection refused (ECONNREFUSED)' }, failures: 3 };
    expect(formatLastLine(refused)).toBe('kms-client: FAILED: connect: connection refused (ECONNREFUSED) (3 failures, 1 of 1 activated)');
  });

  it('emits one parseable JSON document with the last line', () => {
    const doc = JSON.parse(formatJson(ok)) as ActivationResult & { lastLine: string };
    expect(doc.lastLine).toBe(formatLastLine(ok));
    expect(doc.connections[0]!.requests[0]!.response!.epid).toBe('03612-00206-556-123727-03-1033-17763.0000-2972018');
    expect(doc.connections[0]!.requests[0]!.request.clientFileTime).toBe('134090325550000000');
  });
});

describe('discovery', () => {
  const discovery: DiscoveryInfo = {
    domain: 'kms.test',
    name: '_vlmcs._tcp.kms.test',
    server: '127.0.0.1:5353',
    serverFrom: 'given',
    hosts: [
      { target: 'dead.kms.test', port: 1688, priority: 0, weight: 0, addresses: ['192.0.2.1', '2001:db8::1'] },
      { target: 'live.kms.test', port: 11688, priority: 10, weight: 60, addresses: [] },
    ],
    attempts: [
      { target: 'dead.kms.test:1688', address: '192.0.2.1', failure: { kind: 'refused', message: 'connect: connection refused (ECONNREFUSED)' } },
      { target: 'live.kms.test:11688', address: 'live.kms.test' },
    ],
    answeredBy: 'live.kms.test:11688',
  };
  const found: ActivationResult = { ...ok, target: 'live.kms.test:11688', discovery };

  it('lists the records in try order (verbose) and each host as it is tried', () => {
    expect(formatDiscovery(discovery).split('\n')).toEqual([
      'DNS: _vlmcs._tcp.kms.test SRV at 127.0.0.1:5353 (--dns-server): 2 hosts, in the order to try (RFC 2782)',
      '  1.  dead.kms.test:1688               priority 0, weight 0: 192.0.2.1, 2001:db8::1',
      '  2.  live.kms.test:11688              priority 10, weight 60: no address from this server (the system resolves the name)',
    ]);
    expect(formatDiscovery({ ...discovery, serverFrom: '/etc/resolv.conf' })).toMatch(/^DNS: _vlmcs._tcp.kms.test SRV at 127.0.0.1:5353 \(from \/etc\/resolv.conf\)/);
    expect(formatDiscovery({ ...discovery, hosts: [], attempts: [], serverFrom: '/etc/resolv.conf' })).toBe(
      'DNS: _vlmcs._tcp.kms.test SRV at 127.0.0.1:5353 (from /etc/resolv.conf): no host',
    );
    expect(formatTrying({ kind: 'trying', host: discovery.hosts[1]!, address: 'live.kms.test', index: 2, of: 2 })).toBe('Host 2 of 2: live.kms.test:11688 at live.kms.test');
    expect(formatText(found, 1, true).startsWith(formatDiscovery(discovery))).toBe(true);
    expect(formatText(found, 1, false).startsWith('DNS:')).toBe(false);
  });

  it('names the host that answered on the last line, and the DNS error when there was none', () => {
    expect(formatLastLine(found)).toBe('kms-client: OK: 1 of 1 activation succeeded against live.kms.test:11688 (found at _vlmcs._tcp.kms.test) (count 50)');
    const nx: ActivationResult = {
      ...ok,
      ok: false,
      exitCode: 3,
      target: '_vlmcs._tcp.example.test',
      connections: [],
      failure: { kind: 'dns', message: 'DNS: _vlmcs._tcp.example.test: name does not exist (0x8007232B)', hresult: 0x8007232b },
      failures: 1,
    };
    expect(formatLastLine(nx)).toBe('kms-client: FAILED: DNS: _vlmcs._tcp.example.test: name does not exist (0x8007232B)');
    const doc = JSON.parse(formatJson(found)) as ActivationResult;
    expect(doc.discovery).toEqual(discovery);
  });
});

describe('describeFailure', () => {
  it('names the HRESULT of an HRESULT failure, else gives the message', () => {
    expect(describeFailure({ kind: 'timeout', message: 't' })).toBe('t');
    expect(describeFailure({ kind: 'hresult', message: 'x', hresult: 0xc004f042 })).toBe('HRESULT 0xC004F042 (SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH)');
  });
});
