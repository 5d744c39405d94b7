export { ConfigError, EnvReader, parseHostPort, formatHostPort } from './env.js';
export type { Env, ListenAddress } from './env.js';
export { createLogger, readLogLevel, silentLogger, throttleRepeats } from './logger.js';
export type { Logger, LogFields, LogLevel, ThrottleOptions } from './logger.js';
export { parseEndpoint } from './endpoint.js';
export type { EndpointParse } from './endpoint.js';
