import { describe, expect, it } from 'vitest';
import { toClientOptions, type ClientOptions } from '@kmsgrid/kms-client';
import { parseCli, USAGE, type DiscoverClientOptions } from './args.js';

const run = (argv: string[]): ClientOptions => {
  const r = parseCli(argv);
  if (r.kind !== 'run' || !('target' in r.options)) throw new Error(`expected a run with a target, got ${JSON.stringify(r)}`);
  return r.options;
};
const discover = (argv: string[]): DiscoverClientOptions => {
  const r = parseCli(argv);
  if (r.kind !== 'run' || !('discover' in r.options)) throw new Error(`expected a discovery run, got ${JSON.stringify(r)}`);
  return r.options;
};
const error = (argv: string[]): string => {
  const r = parseCli(argv);
  if (r.kind !== 'error') throw new Error(`expected error, got ${r.kind}`);
  return r.message;
};

describe('parseCli', () => {
  it('applies the documented defaults', () => {
    const r = parseCli([]);
    expect(r).toEqual({
      kind: 'run',
      output: { json: false, verbose: false },
      options: {
        target: { host: '127.0.0.1', port: 1688 },
        licenseStatus: 2,
        remainingMinutes: 43200,
        vm: false,
        rpc: { ndr32: true, ndr64: true, btfn: true, multiplex: true },
        requests: 1,
        connections: 1,
        timeoutMs: 10000,
      },
    });
  });

  it('has the defaults of the library\'s activate()', () => {
    const lib = toClientOptions({ target: '127.0.0.1' });
    expect(lib.ok && lib.options).toEqual(run([]));
  });

  it('reads a full vlmcs-like command line', () => {
    const r = parseCli([
      'kms.example.org:11688', '-l', 'Windows 10 Enterprise', '-5', '--cmid', '{6F0F6A3C-1111-4AAA-8BBB-000000000004}',
      '--previous-cmid', '00000000-0000-0000-0000-000000000001', '--workstation', 'pc1.example.org', '--npolicy', '5',
      '--license-status', '0', '--remaining', '0', '--vm', '--no-btfn', '--no-multiplex', '-n', '3', '--connections', '2',
      '--timeout', '500', '--json', '-v',
    ]);
    expect(r).toEqual({
      kind: 'run',
      output: { json: true, verbose: true },
      options: {
        target: { host: 'kms.example.org', port: 11688 },
        protocol: 5,
        product: 'Windows 10 Enterprise',
        cmid: '6f0f6a3c-1111-4aaa-8bbb-000000000004',
        previousCmid: '00000000-0000-0000-0000-000000000001',
        workstation: 'pc1.example.org',
        nPolicy: 5,
        licenseStatus: 0,
        remainingMinutes: 0,
        vm: true,
        rpc: { ndr32: true, ndr64: true, btfn: false, multiplex: false },
        requests: 3,
        connections: 2,
        timeoutMs: 500,
      },
    });
  });

  it('lets the last protocol and RPC flags win, as vlmcs does', () => {
    expect(run(['-4', '--protocol', '6']).protocol).toBe(6);
    expect(run(['--protocol', '6.0', '-4']).protocol).toBe(4);
    expect(run(['--no-ndr64', '--ndr64']).rpc.ndr64).toBe(true);
    expect(run(['--ndr64', '--no-ndr64']).rpc.ndr64).toBe(false);
    expect(run(['--no-ndr32']).rpc).toEqual({ ndr32: false, ndr64: true, btfn: true, multiplex: true });
  });

  it('reads explicit GUIDs in any case and with braces', () => {
    const o = run(['--app', '55C92734-D682-4D71-983E-D6EC3F16059F', '--kms', '{58e2134f-8e11-4d17-9cb2-91069c151148}', '--sku', '73111121-5638-40f6-bc11-f1d7b0d64300']);
    expect([o.appId, o.kmsId, o.skuId]).toEqual([
      '55c92734-d682-4d71-983e-d6ec3f16059f',
      '58e2134f-8e11-4d17-9cb2-91069c151148',
      '73111121-5638-40f6-bc11-f1d7b0d64300',
    ]);
  });

  it('parses IPv6 and default-port targets', () => {
    expect(run(['[::1]:1688']).target).toEqual({ host: '::1', port: 1688 });
    expect(run(['[::1]']).target).toEqual({ host: '::1', port: 1688 });
    expect(run(['::1']).target).toEqual({ host: '::1', port: 1688 });
    expect(run(['kms.example.org']).target).toEqual({ host: 'kms.example.org', port: 1688 });
  });

  it('reads --discover and --dns-server instead of a target', () => {
    const { target: _t, ...settings } = run([]);
    expect(discover(['--discover', 'kms.example.org'])).toEqual({ ...settings, discover: { domain: 'kms.example.org' } });
    expect(discover(['--discover', 'Example.COM.', '--dns-server', '192.0.2.53:5353', '-l', 'Windows 10 Enterprise']).discover).toEqual({
      domain: 'Example.COM.',
      server: { host: '192.0.2.53', port: 5353 },
    });
    expect(discover(['--dns-server', '[2001:db8::53]', '--discover', 'kms.test']).discover.server).toEqual({ host: '2001:db8::53', port: 53 });
    expect(discover(['--discover', 'kms.test', '--dns-server', 'ns1.kms.test']).discover.server).toEqual({ host: 'ns1.kms.test', port: 53 });
    expect(discover(['--discover', 'kms.test', '-n', '2', '--json']).requests).toBe(2);
  });

  it('keeps --discover and a target apart, and checks the domain and the DNS server (usage errors, exit 2)', () => {
    expect(error(['127.0.0.1:1688', '--discover', 'kms.test'])).toBe('--discover and a HOST:PORT target ("127.0.0.1:1688") are mutually exclusive: give one');
    expect(error(['--discover', 'kms.test', 'kms1.kms.test'])).toMatch(/mutually exclusive/);
    expect(error(['--discover', 'kms..test'])).toBe('--discover needs a domain name: "kms..test": it has an empty label (two dots in a row)');
    expect(error(['--discover', ''])).toBe('--discover needs a domain name: "": the name is empty');
    expect(error(['--discover', 'kms test'])).toMatch(/^--discover needs a domain name: "kms test": the label "kms test"/);
    expect(error(['--dns-server', '192.0.2.53'])).toBe('--dns-server goes with --discover DOMAIN');
    expect(error(['--discover', 'kms.test', '--dns-server', '192.0.2.53:0'])).toBe('--dns-server: bad port "0" (1..65535)');
    expect(error(['--discover', 'kms.test', '--dns-server', ''])).toBe('--dns-server: empty DNS server');
    expect(error(['--discover'])).toMatch(/discover/);
  });

  it('answers help', () => {
    expect(parseCli(['--help'])).toEqual({ kind: 'help' });
    expect(parseCli(['127.0.0.1', '-h'])).toEqual({ kind: 'help' });
  });

  it('refuses bad input with a precise message', () => {
    expect(error(['--protocol', '7'])).toBe('--protocol must be 4, 5 or 6, got "7"');
    expect(error(['--license-status', '7'])).toBe('--license-status must be 0..6, got 7');
    expect(error(['--npolicy', '-1'])).toMatch(/--npolicy/);
    expect(error(['--npolicy', '4294967296'])).toBe('--npolicy must be 0..4294967295, got 4294967296');
    expect(error(['-n', '0'])).toBe('--requests must be 1..1000000, got 0');
    expect(error(['--timeout', '1.5'])).toBe('--timeout needs a whole number, got "1.5"');
    expect(error(['--cmid', 'nope'])).toMatch(/^--cmid needs a GUID/);
    expect(error(['--no-ndr32', '--no-ndr64'])).toMatch(/no transfer syntax/);
    expect(error(['a:1', 'b:2'])).toBe('one target expected, got "a:1" "b:2"');
    expect(error(['host:0'])).toBe('target: bad port "0" (1..65535)');
    expect(error(['host:http'])).toBe('target: bad port "http" (1..65535)');
    expect(error(['[::1']).startsWith('target: missing')).toBe(true);
    expect(error(['--workstation', 'x'.repeat(64)])).toBe('--workstation must be 1..63 characters');
    expect(error(['--product', ' '])).toBe('--product needs a name');
    expect(error(['--frobnicate'])).toMatch(/frobnicate/);
    expect(error(['-l'])).toMatch(/product/);
  });

  it('documents every option in the usage text', () => {
    for (const flag of ['-4', '-5', '-6', '--protocol', '--product', '--app', '--kms', '--sku', '--cmid', '--previous-cmid', '--workstation',
      '--npolicy', '--license-status', '--remaining', '--vm', '--no-ndr32', '--no-ndr64', '--no-btfn', '--no-multiplex', '--requests',
      '--connections', '--timeout', '--discover', '--dns-server', '--json', '--verbose', '--help']) {
      expect(USAGE).toContain(flag);
    }
    expect(USAGE).toMatch(/Exit codes: 0 .*; 1 .*;\s+2 usage error .*; 3 network error.*\s+or DNS error/s);
    expect(USAGE).toContain('/etc/resolv.conf');
  });
});
