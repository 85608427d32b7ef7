import { createClient } from 'redis';
import type { Logger } from 'pino';
import { closeWithin, connectionState, describe, NODE_SOCKET, reconnectDelay, type ClientTuning, type RedisClients } from './lifecycle.js';

/**
 * One Redis node (`REDIS_URL`). Commands are rejected at once while disconnected
 * (`disableOfflineQueue`, so nothing queues up behind an outage and requests do not hang), and
 * the client reconnects forever with capped backoff.
 */
export function singleNodeClients(url: string, logger: Logger, tuning: ClientTuning): RedisClients {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    pingInterval: 2000,
    socket: { ...NODE_SOCKET, reconnectStrategy: (retries) => reconnectDelay(retries, tuning.maxReconnectDelayMs) },
  });
  const state = connectionState(logger);
  client.on('error', (err: unknown) => state.down(err));
  client.on('ready', () => state.up());

  let closed = false;
  const connected = client.connect().then(
    () => undefined,
    (err: unknown) => {
      // Only a close during the first connection ends up here; the strategy never gives up.
      if (!closed) logger.error({ err: describe(err) }, 'Redis client stopped');
    },
  );

  return {
    scripts: client,
    commands: { sendCommand: (args) => client.sendCommand(args) },
    whenReady: () => connected,
    async close() {
      if (closed) return;
      closed = true;
      if (!client.isOpen) return;
      if (!client.isReady) {
        client.destroy();
        return;
      }
      await closeWithin(tuning.deadlineMs, () => client.close(), () => client.destroy());
    },
  };
}
