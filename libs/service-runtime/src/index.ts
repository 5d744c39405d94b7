export { startHealthServer } from './health-server.js';
export type { HealthCheck, HealthServer, HealthServerOptions } from './health-server.js';
export { runService } from './run-service.js';
export type { RunningService, RunServiceOptions } from './run-service.js';
