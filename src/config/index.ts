export { loadConfig, ConfigError, type Config, type HttpServerSettings } from './load.js';
export { isLoopbackHost, isSecureOrLoopback, parseOrigin } from './url.js';
