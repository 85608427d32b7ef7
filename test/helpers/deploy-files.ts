/**
 * The deployment files as data: compose.yaml, HAProxy's config and the Kubernetes manifests.
 * Shared by the checks in `npm test` and the runs in `npm run test:deploy`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');

export interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  read_only?: boolean;
  init?: boolean;
  stop_grace_period?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: unknown;
}

export function readCompose(): { services: Record<string, ComposeService> } {
  return parse(read('compose.yaml')) as { services: Record<string, ComposeService> };
}

/** compose's durations (`20s`, `1m30s`) in ms. */
export function composeDurationMs(text: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || (!match[1] && !match[2])) throw new Error(`not a duration: ${text}`);
  return (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000;
}

/** A Kubernetes object as parsed from YAML (only the common fields typed). */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Every document of every `deploy/kubernetes/*.yaml` but the kustomization, by file. */
export function readKubernetes(): Array<{ file: string; object: KubernetesObject }> {
  const dir = join(repoRoot, 'deploy/kubernetes');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
        return { file, object: doc.toJS() as KubernetesObject };
      }),
    );
}

/** HAProxy's `inter` / `timeout` values (`500ms`, `2s`, or plain ms) in ms. */
export function haproxyTimeMs(text: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!match) throw new Error(`not an HAProxy time: ${text}`);
  return Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 }[match[2] ?? 'ms'] ?? 1);
}

const COMPOSE_PART = /^\s*# --- compose: begin ---\n[\s\S]*?^\s*# --- compose: end ---\n/m;

/**
 * deploy/haproxy/haproxy.cfg with the compose-only part (servers found through Docker's DNS)
 * replaced by `servers`, and `globalLines` added to its global section.
 */
export function haproxyConfigWith(servers: string[], globalLines: string[] = []): string {
  const config = read('deploy/haproxy/haproxy.cfg');
  if (!COMPOSE_PART.test(config)) throw new Error('haproxy.cfg has no compose markers');
  return config
    .replace(COMPOSE_PART, servers.map((line) => `  ${line}\n`).join(''))
    .replace(/^global\n/m, `global\n${globalLines.map((line) => `  ${line}\n`).join('')}`);
}

/** The backend's health-check timing: `default-server inter … fall … rise …`. */
export function haproxyCheckTiming(): { interMs: number; fall: number; rise: number } {
  const line = /^\s*default-server\s+(.*)$/m.exec(read('deploy/haproxy/haproxy.cfg'))?.[1] ?? '';
  const value = (name: string) => new RegExp(`\\b${name}\\s+(\\S+)`).exec(line)?.[1];
  const inter = value('inter');
  const fall = value('fall');
  const rise = value('rise');
  if (!inter || !fall || !rise) throw new Error(`default-server must set inter, fall and rise: ${line}`);
  return { interMs: haproxyTimeMs(inter), fall: Number(fall), rise: Number(rise) };
}
