import type { IngressStats } from '@kmsgrid/ingress-server';

/** Prometheus text exposition of the ingress counters. */
export function ingressMetrics(s: IngressStats): string {
  const lines = [
    '# HELP kmsgrid_ingress_connections_active Open KMS connections.',
    '# TYPE kmsgrid_ingress_connections_active gauge',
    `kmsgrid_ingress_connections_active ${s.connectionsActive}`,
    '# HELP kmsgrid_ingress_connections_total KMS connections accepted.',
    '# TYPE kmsgrid_ingress_connections_total counter',
    `kmsgrid_ingress_connections_total ${s.connectionsAccepted}`,
    '# HELP kmsgrid_ingress_connections_dropped_total Connections dropped at the connection cap.',
    '# TYPE kmsgrid_ingress_connections_dropped_total counter',
    `kmsgrid_ingress_connections_dropped_total ${s.connectionsDropped}`,
    '# HELP kmsgrid_ingress_requests_total KMS requests by outcome.',
    '# TYPE kmsgrid_ingress_requests_total counter',
    `kmsgrid_ingress_requests_total{outcome="activated"} ${s.activated}`,
    `kmsgrid_ingress_requests_total{outcome="refused"} ${s.refused}`,
    `kmsgrid_ingress_requests_total{outcome="invalid"} ${s.invalid}`,
    `kmsgrid_ingress_requests_total{outcome="unavailable"} ${s.unavailable}`,
    '# HELP kmsgrid_ingress_protocol_errors_total Connections closed for malformed RPC.',
    '# TYPE kmsgrid_ingress_protocol_errors_total counter',
    `kmsgrid_ingress_protocol_errors_total ${s.protocolErrors}`,
  ];
  return lines.join('\n') + '\n';
}
