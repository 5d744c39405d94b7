import type { RelayStatus } from './outbox-relay.js';

/**
 * Prometheus text for an outbox relay's status: whether it runs, what it
 * published, its failures, and how its passes found their events (from
 * memory, or read back from the log).
 *
 * @example startHealthServer({ ..., metrics: () => outboxRelayMetrics(relay.status()) })
 */
export function outboxRelayMetrics(status: RelayStatus): string {
  const family = (name: string, type: 'counter' | 'gauge', help: string, value: number | bigint): string[] => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    `${name} ${value}`,
  ];
  return `${[
    ...family('kmsgrid_outbox_relay_running', 'gauge', '1 while the relay runs; 0 while it backs off after a failure, or is stopped.', status.state === 'running' ? 1 : 0),
    ...family('kmsgrid_outbox_relay_published_total', 'counter', 'Events acknowledged by JetStream (or passed over in-process) since start.', status.publishedTotal),
    ...family('kmsgrid_outbox_relay_duplicates_total', 'counter', 'Acknowledgements JetStream flagged duplicate (an earlier publish of the event was stored).', status.duplicatesTotal),
    ...family('kmsgrid_outbox_relay_consecutive_failures', 'gauge', 'Failed passes since the last good one.', status.consecutiveFailures),
    ...family('kmsgrid_outbox_relay_last_published_position', 'gauge', 'Global position of the last event published (0 before the first).', status.lastPublishedPosition ?? 0n),
    ...family('kmsgrid_outbox_relay_passes_from_memory_total', 'counter', 'Passes that published events just committed through this process without reading them back.', status.passesFromMemory),
    ...family('kmsgrid_outbox_relay_passes_from_log_total', 'counter', 'Passes that read the log after the checkpoint (start, polls, and gaps such as another process appending).', status.passesFromLog),
  ].join('\n')}\n`;
}
