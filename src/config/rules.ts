import { z } from 'zod';

/**
 * For zod's `when`: a rule across variables runs only while the variables it reads are clean, so
 * a bad value is reported once, by its own check, and not again as a broken combination.
 */
export const clean =
  (...names: string[]) =>
  (payload: { issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey> }> }): boolean =>
    !payload.issues.some((issue) => names.includes(String(issue.path?.[0])));

/**
 * An optional whole number in [min, max]; empty counts as unset (as `.env.example` leaves such
 * lines), and unset stays `undefined` for the caller to default or to refuse.
 */
export const optionalIntIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((s) => (s ? s : undefined))
    .pipe(
      z
        .string()
        .regex(/^\d+$/, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
        .optional(),
    );
