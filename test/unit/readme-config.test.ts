import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { envSchema } from '../../src/config/schema.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** Variable names in the README's configuration table (first column, backticked). */
function readmeVariables(): string[] {
  const section = read('README.md').split('## Configuration')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
}

describe('the configuration reference', () => {
  const schemaVariables = Object.keys(envSchema.shape).sort();

  it('lists in README exactly the variables the schema reads', () => {
    expect(readmeVariables().sort()).to.deep.equal(schemaVariables);
  });

  it('documents every variable in .env.example (NODE_ENV is set by the scripts)', () => {
    const example = [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(example.sort()).to.deep.equal(schemaVariables.filter((name) => name !== 'NODE_ENV'));
  });

  it('keeps the README commands a newcomer needs', () => {
    const readme = read('README.md');
    expect(readme).to.include('npm ci && npm run demo');
    expect(readme).to.include('npm test');
    expect(readme).to.include('npm run test:deploy');
    // CI runs both, the whole suite last: its summary closes the log.
    const commands = read('.ci/run').trim().split('\n').filter((line) => /^npm (test|run test:deploy)$/.test(line));
    expect(commands).to.deep.equal(['npm run test:deploy', 'npm test']);
    expect(read('.ci/run').trim().split('\n').at(-1)).to.equal('npm test');
  });
});
