export { loadConfig, ConfigError, type Config } from './load.js';
export { isLoopbackHost, isSecureOrLoopback, parseOrigin } from './url.js';
