/**
 * Configuration of the standalone OneTalk emulator (`npm run emulator`): the only place its
 * environment is read. Kept apart from the gateway's config: the emulator needs none of it.
 */
import { DEV_API_KEY, DEV_WIDGET_KEY, MAX_LATENCY_MS } from './core.js';

/** The emulator's whole configuration, frozen. */
export interface EmulatorConfig {
  /** `PORT`, default 4010. 0 picks a free port. */
  readonly port: number;
  /** `ONETALK_API_KEY`, default the dev key. */
  readonly apiKey: string;
  /** `LATENCY_MS`, default 0: how long each API answer waits. */
  readonly latencyMs: number;
  /** True when the key is the well-known dev key, i.e. safe to print. */
  readonly usesDevKey: boolean;
  /**
   * `ONETALK_WIDGET_KEY`, default the dev widget key: what pages pass to `TapTalkLive.init` and the
   * widget sends as `Secret-Key`. Public by nature (every page carries it), so it may be printed.
   */
  readonly widgetKey: string;
}

/** Thrown when the environment is invalid; `problems` names every bad variable at once. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid emulator configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Default listen port: away from the gateway's 3000 and common dev ports. */
export const DEFAULT_EMULATOR_PORT = 4010;

/**
 * Reads PORT, ONETALK_API_KEY, ONETALK_WIDGET_KEY and LATENCY_MS. An empty variable counts as unset.
 * Throws {@link EmulatorConfigError} naming every invalid variable (never echoing the key).
 */
export function loadEmulatorConfig(env: NodeJS.ProcessEnv = process.env): EmulatorConfig {
  const problems: string[] = [];
  const port = integer(env, 'PORT', DEFAULT_EMULATOR_PORT, 0, 65_535, problems);
  const latencyMs = integer(env, 'LATENCY_MS', 0, 0, MAX_LATENCY_MS, problems);
  const apiKey = nonEmpty(env.ONETALK_API_KEY) ?? DEV_API_KEY;
  // HTTP trims header values and forbids control characters, so such a key could never match.
  if (/[\s\x00-\x1f\x7f]/.test(apiKey) || apiKey !== apiKey.trim()) {
    problems.push('ONETALK_API_KEY must not contain whitespace or control characters');
  }
  const widgetKey = nonEmpty(env.ONETALK_WIDGET_KEY) ?? DEV_WIDGET_KEY;
  if (!/^[\x21-\x7e]+$/.test(widgetKey)) problems.push('ONETALK_WIDGET_KEY must be visible ASCII characters without spaces');
  else if (widgetKey === apiKey) problems.push('ONETALK_WIDGET_KEY must differ from ONETALK_API_KEY (the widget key is public)');
  if (problems.length > 0) throw new EmulatorConfigError(problems);
  return Object.freeze({ port, apiKey, latencyMs, usesDevKey: apiKey === DEV_API_KEY, widgetKey });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    return fallback;
  }
  return value;
}
