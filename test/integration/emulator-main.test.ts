import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { builtEntry } from '../helpers/built-src.js';

/** Runs `npm run emulator`'s entry (src/emulator/main.ts, compiled) with the given environment. */
function run(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [builtEntry('src/emulator/main.ts')], {
    env: { PATH: process.env.PATH ?? '', ONETALK_API_KEY: '', LATENCY_MS: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { child, output: () => ({ stdout, stderr }) };
}

/** Resolves with the first stdout line, without consuming the stream (the child keeps logging). */
function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  let buffered = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: string): void => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      child.stdout.off('data', onData);
      resolve(buffered.slice(0, end));
    };
    child.stdout.on('data', onData);
    child.once('exit', () => reject(new Error('emulator exited before printing its URL')));
  });
}

describe('npm run emulator (src/emulator/main.ts)', () => {
  it('prints its URL and a curl example, answers the document example, and exits 0 on SIGTERM', async () => {
    const { child } = run({ PORT: '0' });
    const exited = once(child, 'exit');
    try {
      const line = await firstLine(child);
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
      expect(url, line).to.be.a('string');
      expect(line).to.include('curl').and.include('API-Key: dev-onetalk-api-key');
      const response = await fetch(`${url}/v1/user/request_auth_ticket`, {
        method: 'POST',
        headers: { 'API-Key': 'dev-onetalk-api-key', 'Content-Type': 'application/json' },
        body: JSON.stringify({ customerUserID: 'company:123', fullName: 'John Doe', alias: '', email: 'john.doe@example.com', phone: '6281234567890' }),
      });
      expect(response.status).to.equal(200);
      expect(((await response.json()) as { data: { message: string } }).data.message).to.equal('Contact created successfully');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code).to.equal(0);
  });

  it('never prints a non-default API key', async () => {
    const { child, output } = run({ PORT: '0', ONETALK_API_KEY: 'sk-live-very-secret' });
    const exited = once(child, 'exit');
    try {
      const line = await firstLine(child);
      expect(line).to.include('$ONETALK_API_KEY').and.not.include('sk-live-very-secret');
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await exited;
    expect(code).to.equal(0);
    expect(output().stdout + output().stderr).to.not.include('sk-live-very-secret');
  });

  it('exits 1 naming each invalid variable', async () => {
    const { child, output } = run({ PORT: 'http', LATENCY_MS: '-5' });
    const [code] = await once(child, 'exit');
    expect(code).to.equal(1);
    expect(output().stderr).to.include('PORT must be an integer').and.include('LATENCY_MS must be an integer');
  });
});
