/**
 * A fleet of gateway processes on one Redis, each on its own fixed loopback port (a restarted
 * instance comes back where the balancer expects it).
 */
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/net.js';

export interface Instance {
  readonly name: string;
  readonly port: number;
  process: GatewayProcess | undefined;
}

export interface Fleet {
  readonly instances: readonly Instance[];
  /** Starts (or restarts) instance `index`; resolves once it logs "gateway listening". */
  start(index: number): Promise<GatewayProcess>;
  /** SIGTERM to instance `index`; resolves with its exit code and how long it took to exit. */
  stop(index: number): Promise<{ code: number | null; ms: number }>;
  /** SIGKILL to whatever still runs. */
  kill(): void;
}

export async function startFleet(options: { count: number; env: Record<string, string> }): Promise<Fleet> {
  const instances: Instance[] = [];
  for (let i = 0; i < options.count; i += 1) instances.push({ name: `gateway-${i + 1}`, port: await freePort(), process: undefined });
  const fleet: Fleet = {
    instances,
    async start(index) {
      const instance = instances[index]!;
      // Generous: three gateways start at once, each compiling its sources (tsx), on a 2-core machine.
      instance.process = await spawnGateway({ env: { ...options.env, PORT: String(instance.port) }, startWithinMs: 60_000 });
      return instance.process;
    },
    async stop(index) {
      const instance = instances[index]!;
      const running = instance.process;
      if (!running) throw new Error(`${instance.name} is not running`);
      const started = Date.now();
      running.child.kill('SIGTERM');
      const { code } = await running.exited;
      instance.process = undefined;
      return { code, ms: Date.now() - started };
    },
    kill() {
      for (const instance of instances) instance.process?.kill();
    },
  };
  try {
    await Promise.all(instances.map((_, i) => fleet.start(i)));
  } catch (err) {
    fleet.kill();
    throw err;
  }
  return fleet;
}
