import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Where and when the figures were taken: they mean nothing without it. */
export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  date: string;
  /** Short commit, `+dirty` when the working tree has changes; absent outside a git checkout. */
  commit?: string;
  /** 1-minute load average when the run started: a busy, shared machine shows here. */
  loadAverage: number;
}

function gitCommit(): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? '+dirty' : ''}`;
  } catch {
    return undefined;
  }
}

export function machineFacts(): MachineFacts {
  const commit = gitCommit();
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
    ...(commit ? { commit } : {}),
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
