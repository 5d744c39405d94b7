import { ConfigError, createLogger, readLogLevel, type Logger } from '@kmsgrid/config';

export interface RunningService {
  /** Drains: stop taking work, finish what is in flight, release resources. */
  stop(): Promise<void>;
}

export interface RunServiceOptions {
  readonly name: string;
  /** Builds configuration and starts everything; throw ConfigError for bad configuration. */
  readonly start: (log: Logger) => Promise<RunningService>;
  /** Upper bound on a drain before the process exits anyway. */
  readonly stopTimeoutMs?: number;
}

/**
 * The life of a service process: start, then SIGTERM/SIGINT drain and exit.
 * A ConfigError prints one line per problem and exits 2; any other start-up
 * failure exits 1. Used by every apps/X/src/main.ts.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const configError = (err: ConfigError): never => {
    for (const p of err.problems) process.stderr.write(`${options.name}: configuration error: ${p}\n`);
    process.exit(2);
  };
  let log: Logger;
  try {
    log = createLogger({ service: options.name }, readLogLevel(process.env));
  } catch (err) {
    if (err instanceof ConfigError) configError(err);
    throw err;
  }
  let running: RunningService;
  try {
    running = await options.start(log);
  } catch (err) {
    if (err instanceof ConfigError) configError(err);
    process.stderr.write(`${options.name}: failed to start: ${(err as Error).message}\n`);
    log.error('start failed', { error: err as Error, stack: (err as Error).stack });
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('draining', { signal });
    const timer = setTimeout(() => {
      log.error('drain timed out; exiting');
      process.exit(1);
    }, options.stopTimeoutMs ?? 25_000);
    timer.unref();
    try {
      await running.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error('stop failed', { error: err as Error });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: reason as Error }));
}
