/**
 * Shared generators for the property tests: strings that favour the characters framing code gets wrong
 * (line breaks, NUL, colons, spaces, BOM, astral characters), and mutations of the real events in tests/events.
 */
import fc from 'fast-check';

/** One "unit" of a nasty string: a line-break form, a control or framing character, or any code point. */
const nastyUnit = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\0', ':', ' ', '\uFEFF', '\u2028', '🚀', 'é'),
  },
  { weight: 7, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Any string, full Unicode, with CR, LF, CRLF and NUL turning up often. */
export const nastyString = (maxLength = 60): fc.Arbitrary<string> =>
  fc.string({ unit: nastyUnit, maxLength });

/** Every path (list of keys/indexes) to a value inside a JSON-like object, the root excluded. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v] as [number, unknown])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

export type Mutation =
  { path: (string | number)[]; op: 'set'; value: unknown } | { path: (string | number)[]; op: 'delete' };

/** Applies mutations to a deep copy (structuredClone) of `event`. */
export function mutate<T>(event: T, mutations: Mutation[]): T {
  const copy = structuredClone(event) as Record<string | number, unknown>;
  for (const m of mutations) {
    let parent: Record<string | number, unknown> | undefined = copy;
    for (const key of m.path.slice(0, -1)) {
      const next: unknown = parent?.[key];
      parent =
        typeof next === 'object' && next !== null ? (next as Record<string | number, unknown>) : undefined;
    }
    if (!parent) continue; // an earlier mutation replaced an ancestor
    const last = m.path[m.path.length - 1]!;
    if (m.op === 'delete') delete parent[last];
    else parent[last] = m.value;
  }
  return copy as T;
}

/** Values a field of an event might plausibly be replaced with: wrong types, odd strings, nested junk. */
const replacement: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, '', '/', '2.0', '1.0', 'GET', 'OPTIONS', true, 0, -1, [], {}),
  nastyString(40),
  fc.jsonValue({ maxDepth: 2 }),
  fc.anything({ maxDepth: 2 }),
);

/** 1–4 mutations (replace or delete a field anywhere) of a real event. */
export function mutatedEvent<T extends object>(event: T): fc.Arbitrary<T> {
  const paths = pathsOf(event);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('set' as const), value: replacement }),
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('delete' as const) }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(event, ms));
}
