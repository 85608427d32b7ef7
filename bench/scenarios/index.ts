/** The load scenarios, in report order; scenario 5 (memory) is `measureSessionMemory`. */
import { ceiling } from './ceiling.js';
import { floor } from './floor.js';
import { peer } from './peer.js';
import type { LoadScenario } from './scenario.js';
import { session } from './session.js';
import { ticket } from './ticket.js';

export const LOAD_SCENARIOS: readonly LoadScenario[] = [ceiling, floor, session, peer, ticket];
export { measureSessionMemory } from './memory.js';
export type { LoadScenario } from './scenario.js';
