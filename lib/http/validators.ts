/** Field validators shared by the routes' body schemas (zod/mini), so each rule is written once. */
import * as z from 'zod/mini';

/** Text that is not empty once trimmed, at most `max` characters. */
export const text = (max: number) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
    );
