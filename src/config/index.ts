export { loadConfig, ConfigError, type Config, type HttpServerSettings } from './load.js';
export { isLoopbackHost, isSecureOrLoopback, parseOrigin } from './url.js';
export type { ClientAuthentication, ClientAuthMethod } from './oidc.js';
export type { RedisConnection, RedisCredentials, RedisNodeAddress } from './redis.js';
export type { ClientAssertionAlg, ClientPrivateKey } from './private-key.js';
