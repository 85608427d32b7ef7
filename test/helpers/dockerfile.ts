/**
 * The project's Dockerfile as data (parsed by dockerfile-ast): stages and their steps, and what
 * the final image runs with. For the checks that keep it in step with the config schema, and for
 * test/deploy/image.test.ts, which replays it without a container engine.
 */
import { readFileSync } from 'node:fs';
import { DockerfileParser, type Env, type Instruction } from 'dockerfile-ast';

export type DockerStep =
  | { kind: 'WORKDIR'; path: string }
  | { kind: 'ENV'; vars: Record<string, string> }
  | { kind: 'COPY'; from: string | undefined; sources: string[]; dest: string }
  | { kind: 'RUN'; command: string };

export interface DockerStage {
  name: string;
  base: string;
  steps: DockerStep[];
}

export interface DockerImage {
  stages: DockerStage[];
  /** The final stage's environment (ENV lines). */
  env: Record<string, string>;
  workdir: string;
  user: string | undefined;
  exposed: number[];
  stopSignal: string | undefined;
  /** Exec form only: a shell form would sit between the signal and node. */
  cmd: string[];
  healthcheck: { command: string[]; flags: Record<string, string> } | undefined;
}

/** Steps the replay knows; any other instruction in a stage is an error there, not silently skipped. */
const STEP_KEYWORDS = new Set(['WORKDIR', 'ENV', 'COPY', 'RUN']);
/** Instructions that describe the final image rather than build it. */
const IMAGE_KEYWORDS = new Set(['USER', 'EXPOSE', 'STOPSIGNAL', 'HEALTHCHECK', 'CMD']);

function flagsOf(instruction: Instruction): Record<string, string> {
  const flags = (instruction as { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }).getFlags?.() ?? [];
  return Object.fromEntries(flags.map((flag) => [flag.getName(), flag.getValue() ?? '']));
}

function execForm(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`${what} must be in exec form: ${text}`);
  return parsed as string[];
}

export function parseDockerfile(path: string): DockerImage {
  const dockerfile = DockerfileParser.parse(readFileSync(path, 'utf8'));
  const image: DockerImage = { stages: [], env: {}, workdir: '/', user: undefined, exposed: [], stopSignal: undefined, cmd: [], healthcheck: undefined };
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArgumentsContent() ?? '';
    if (keyword === 'FROM') {
      const [base = '', as, name] = args.split(/\s+/);
      image.stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(image.stages.length), base, steps: [] });
      image.env = {};
      image.workdir = '/';
      image.user = undefined;
      continue;
    }
    const stage = image.stages.at(-1);
    if (!stage) throw new Error(`${keyword} before FROM`);
    if (STEP_KEYWORDS.has(keyword)) {
      if (keyword === 'WORKDIR') {
        image.workdir = args;
        stage.steps.push({ kind: 'WORKDIR', path: args });
      } else if (keyword === 'ENV') {
        const vars = Object.fromEntries((instruction as Env).getProperties().map((p) => [p.getName(), p.getValue() ?? '']));
        Object.assign(image.env, vars);
        stage.steps.push({ kind: 'ENV', vars });
      } else if (keyword === 'COPY') {
        const parts = args.split(/\s+/);
        const dest = parts.pop() ?? '';
        stage.steps.push({ kind: 'COPY', from: flagsOf(instruction).from, sources: parts, dest });
      } else {
        stage.steps.push({ kind: 'RUN', command: args });
      }
    } else if (IMAGE_KEYWORDS.has(keyword)) {
      if (keyword === 'USER') image.user = args;
      else if (keyword === 'EXPOSE') image.exposed.push(...args.split(/\s+/).map((port) => Number(port.replace(/\/tcp$/, ''))));
      else if (keyword === 'STOPSIGNAL') image.stopSignal = args;
      else if (keyword === 'CMD') image.cmd = execForm(args, 'CMD');
      else {
        const match = /^CMD\s+(.*)$/s.exec(args);
        if (!match?.[1]) throw new Error(`HEALTHCHECK must run a command: ${args}`);
        image.healthcheck = { command: execForm(match[1], 'HEALTHCHECK CMD'), flags: flagsOf(instruction) };
      }
    } else {
      throw new Error(`the Dockerfile uses ${keyword}, which test/helpers/dockerfile.ts does not know`);
    }
  }
  return image;
}
