/**
 * For zod's `when`: a rule across variables runs only while the variables it reads are clean, so
 * a bad value is reported once, by its own check, and not again as a broken combination.
 */
export const clean =
  (...names: string[]) =>
  (payload: { issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey> }> }): boolean =>
    !payload.issues.some((issue) => names.includes(String(issue.path?.[0])));
