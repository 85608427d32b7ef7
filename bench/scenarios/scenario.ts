import type { DevClient } from '../../src/demo/idp.js';
import type { Target } from '../types.js';

/** What every scenario shares: one development IdP for all sign-ins (in a process of its own). */
export interface Shared {
  readonly idp: { readonly issuer: string };
}

/** A scenario whose servers are bound (ports known) but not built yet. */
export interface Prepared {
  /** Relying parties to register at the shared IdP: their redirect URIs contain our ports. */
  readonly clients: DevClient[];
  start(shared: Shared): Promise<Started>;
}

/** A running scenario: what to load, and how to take it down again. */
export interface Started {
  readonly targets: Target[];
  /** Anything the report should say about how this scenario ran (e.g. a part skipped). */
  readonly notes: string[];
  stop(): Promise<void>;
}

/**
 * A load scenario. Two phases, because all sign-ins go through one IdP whose
 * clients are fixed when it starts: `prepare` binds ports and names clients, `start` builds the
 * apps, signs in and checks that each target answers what it should.
 */
export interface LoadScenario {
  readonly id: string;
  readonly number: number;
  readonly title: string;
  prepare(): Promise<Prepared>;
}

/** Stops everything started so far, last first, even when one stop fails. */
export async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  const failures: unknown[] = [];
  for (const stop of [...stops].reverse()) {
    try {
      await stop();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'bench teardown failed');
}
