import { describe, expect, it } from 'vitest';
import { clientsQuery, DEFAULT_URL, parseCli } from './args.js';

describe('parseCli', () => {
  it('defaults the URL, then KMSGRID_ADMIN_URL, then --url wins', () => {
    expect(parseCli(['dlv'])).toEqual({ kind: 'run', command: { kind: 'dlv' }, options: { url: DEFAULT_URL, json: false, timeoutMs: 10_000 } });
    const env = { KMSGRID_ADMIN_URL: 'kms.corp.example:9000' };
    expect(parseCli(['health'], env)).toMatchObject({ options: { url: 'http://kms.corp.example:9000' } });
    expect(parseCli(['--url', 'https://admin.example/kms/', 'dlv', '--json'], env)).toMatchObject({
      options: { url: 'https://admin.example/kms', json: true },
    });
  });

  it('takes client filters', () => {
    const r = parseCli(['clients', '--application', 'office', '--license-status', 'licensed', '--since', '7d', '--limit', '25', '--wide']);
    expect(r).toMatchObject({
      kind: 'run',
      command: { kind: 'clients', wide: true, filters: { application: 'office', licenseStatus: 'licensed', since: '7d', limit: 25 } },
    });
  });

  it.each([
    [[], 'name a command: dlv, clients or health'],
    [['status'], 'unknown command "status": use dlv, clients or health'],
    [['dlv', 'clients'], 'one command expected, got "dlv" "clients"'],
    [['dlv', '--since', '1h'], '--since belongs to the clients command'],
    [['clients', '--limit', '0'], '--limit must be 1..500, got 0'],
    [['clients', '--limit', 'x'], '--limit needs a whole number, got "x"'],
    [['--url', 'ftp://x', 'dlv'], '--url must be http:// or https://, got ftp:'],
    [['--url', 'http://', 'dlv'], '--url "http://" is not a URL (e.g. http://127.0.0.1:8080)'],
  ])('%j is a usage error', (argv, message) => {
    expect(parseCli(argv)).toEqual({ kind: 'error', message });
  });

  it('reports unknown options', () => {
    expect(parseCli(['dlv', '--frob'])).toMatchObject({ kind: 'error', message: expect.stringContaining("'--frob'") });
  });

  it('help', () => {
    expect(parseCli(['clients', '-h'])).toEqual({ kind: 'help' });
  });
});

describe('clientsQuery', () => {
  it('encodes the filters for /v1/clients', () => {
    expect(clientsQuery({})).toBe('');
    expect(clientsQuery({ workstation: 'PC &1', limit: 5 })).toBe('?workstation=PC+%261&limit=5');
  });
});
