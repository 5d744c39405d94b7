import { dnsStatusReplyCodec } from '@kmsgrid/contracts';
import { describe, expect, it } from 'vitest';
import type { DnsRegistrarStatus } from './registrar.js';
import { dnsStatusView } from './status-view.js';

const srv = { name: '_vlmcs._tcp.corp.example', type: 'SRV', ttl: 3600, data: { priority: 0, weight: 100, port: 1688, target: 'kms1.corp.example' } } as const;
const base = { zone: 'corp.example', server: '127.0.0.1:53', records: [srv], consecutiveFailures: 0 } as const;

describe('dnsStatusView', () => {
  it('shows a published domain with its SRV record', () => {
    const s: DnsRegistrarStatus = {
      enabled: true,
      domains: [{ ...base, domain: 'corp.example', state: 'published', lastOutcome: { outcome: 'published', operation: 'publish', at: '2026-01-02T03:04:05.000Z' } }],
    };
    expect(dnsStatusView(s)).toEqual({
      domains: [
        { domain: 'corp.example', record: '_vlmcs._tcp.corp.example. 3600 IN SRV 0 100 1688 kms1.corp.example.', outcome: 'published', ok: true, at: '2026-01-02T03:04:05.000Z' },
      ],
    });
  });

  it('carries event 12293 and the message while failing, and passes the contract', () => {
    const s: DnsRegistrarStatus = {
      enabled: true,
      domains: [
        {
          ...base,
          domain: 'corp.example',
          state: 'retrying',
          consecutiveFailures: 2,
          windowsEventId: 12293,
          lastOutcome: { outcome: 'refused', operation: 'publish', at: '2026-01-02T03:04:05.000Z', message: 'x'.repeat(900) },
        },
        { ...base, domain: 'other.example', records: [], state: 'starting' },
      ],
    };
    const view = dnsStatusView(s);
    expect(view.domains[0]).toMatchObject({ outcome: 'refused', ok: false, windowsEventId: 12293 });
    expect(view.domains[0]!.message).toHaveLength(500);
    expect(view.domains[1]).toEqual({ domain: 'other.example', outcome: 'starting', ok: false, at: null });
    expect(dnsStatusReplyCodec.decode(dnsStatusReplyCodec.encode(view))).toEqual(view);
  });
});
