export { ConfigError, EnvReader, parseHostPort, formatHostPort } from './env.js';
export type { Env, ListenAddress } from './env.js';
