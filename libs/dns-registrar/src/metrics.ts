import type { DnsRegistrarStatus } from './registrar.js';

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Prometheus text for a registrar's status: per domain, whether the records
 * are published, consecutive failures, and the last success time.
 *
 * @example startHealthServer({ ..., metrics: () => dnsRegistrarMetrics(registrar.status()) })
 */
export function dnsRegistrarMetrics(status: DnsRegistrarStatus): string {
  const lines = [
    '# HELP kmsgrid_dns_registration_published 1 when the last publish or refresh of the domain succeeded.',
    '# TYPE kmsgrid_dns_registration_published gauge',
    ...status.domains.map((d) => `kmsgrid_dns_registration_published{domain="${label(d.domain)}"} ${d.state === 'published' ? 1 : 0}`),
    '# HELP kmsgrid_dns_registration_consecutive_failures Failed UPDATE attempts since the last success (Microsoft event 12293 while > 0).',
    '# TYPE kmsgrid_dns_registration_consecutive_failures gauge',
    ...status.domains.map((d) => `kmsgrid_dns_registration_consecutive_failures{domain="${label(d.domain)}"} ${d.consecutiveFailures}`),
    '# HELP kmsgrid_dns_registration_last_success_timestamp_seconds Time of the last accepted UPDATE.',
    '# TYPE kmsgrid_dns_registration_last_success_timestamp_seconds gauge',
    ...status.domains.flatMap((d) => (d.lastSuccessAt ? [`kmsgrid_dns_registration_last_success_timestamp_seconds{domain="${label(d.domain)}"} ${Date.parse(d.lastSuccessAt) / 1000}`] : [])),
  ];
  return `${lines.join('\n')}\n`;
}
