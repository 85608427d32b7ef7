/**
 * HAProxy from Debian in front of local gateway instances, running the project's own
 * deploy/haproxy/haproxy.cfg: only the compose-specific server lines are replaced, and a stats
 * socket is added so tests can wait for HAProxy's own view of each server (never on a sleep).
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { haproxyConfigWith } from '../../helpers/deploy-files.js';
import { startProcess, type HelperProcess } from './processes.js';

export interface Balancer {
  readonly url: string;
  readonly process: HelperProcess;
  /** HAProxy's status of each server of the `gateways` backend: `UP`, `DOWN`, `UP 1/2`, `MAINT`… */
  status(): Promise<Record<string, string>>;
  /** Resolves once `server` has `status` (exactly); rejects after `withinMs`. */
  waitFor(server: string, status: string, withinMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Sends one command to the stats socket and returns the answer. */
function ask(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(`${command}\n`);
  });
}

/** The shipped configuration with HAProxy's own retries turned off: a balancer that never retries. */
export function withoutRetries(config: string): string {
  return config
    .replace(/^(\s*)retries \d+$/m, '$1retries 0')
    .replace(/^\s*(option redispatch|retry-on .*)\n/gm, '');
}

export interface BalancerOptions {
  port: number;
  gateways: Array<{ name: string; port: number }>;
  /** Where its config file and stats socket go. */
  dir: string;
  /** A change to the shipped configuration, e.g. {@link withoutRetries}. */
  adjust?: (config: string) => string;
}

/** Starts HAProxy on 127.0.0.1:`port` with one `server` line per gateway. */
export async function startBalancer(options: BalancerOptions): Promise<Balancer> {
  const statsSocket = join(options.dir, 'haproxy.sock');
  const shipped = haproxyConfigWith(
    options.gateways.map((g) => `server ${g.name} 127.0.0.1:${g.port} check`),
    [`stats socket ${statsSocket} mode 600 level admin`],
  );
  const config = options.adjust ? options.adjust(shipped) : shipped;
  if (options.adjust && config === shipped) throw new Error('the adjustment changed nothing in haproxy.cfg');
  const configFile = join(options.dir, 'haproxy.cfg');
  writeFileSync(configFile, config);

  const status = async (): Promise<Record<string, string>> => {
    const csv = (await ask(statsSocket, 'show stat')).trim().split('\n');
    const header = (csv[0] ?? '').replace(/^# /, '').split(',');
    const [px, sv, st] = ['pxname', 'svname', 'status'].map((name) => header.indexOf(name));
    const result: Record<string, string> = {};
    for (const row of csv.slice(1).map((line) => line.split(','))) {
      if (row[px!] === 'gateways' && row[sv!] !== 'BACKEND') result[row[sv!] ?? ''] = row[st!] ?? '';
    }
    return result;
  };
  const process = await startProcess('haproxy', ['-db', '-f', configFile], {
    env: { PATH: globalThis.process.env.PATH ?? '', HAPROXY_BIND: `127.0.0.1:${options.port}` },
    ready: async () => Object.keys(await status()).length === options.gateways.length,
  });

  return {
    url: `http://127.0.0.1:${options.port}`,
    process,
    status,
    async waitFor(server, wanted, withinMs) {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const current = (await status())[server];
        if (current === wanted) return;
        if (Date.now() > deadline) throw new Error(`HAProxy: ${server} is ${current}, not ${wanted}, after ${withinMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => process.stop(),
  };
}
