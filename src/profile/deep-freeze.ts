/**
 * Freezes `value` and everything reachable from it, in place, and returns it. For objects handed
 * to every request (the parsed claim mapping, the config): one caller mutating them would change
 * them for all. An object already frozen is taken as done, so shared parts are walked once.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
