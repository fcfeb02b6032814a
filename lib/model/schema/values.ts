/**
 * The values a column may hold when the catalog says so: the labels of its enum type, or the list in a CHECK
 * constraint such as `CHECK ((status = ANY (ARRAY['draft'::text, 'paid'::text])))` (PostgreSQL's spelling of
 * `status IN ('draft', 'paid')`), on the column itself or on its domain (`VALUE = ANY (...)`).
 */

const LITERAL = /'((?:[^']|'')*)'(?:::[\w\s."[\]()]+?)?(?=\s*(?:,|\]|\)|$))|(-?\d+(?:\.\d+)?)/g;

function literals(list: string): string[] {
  const values: string[] = [];
  for (const m of list.matchAll(LITERAL)) values.push(m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!);
  return values;
}

/** The value list of a CHECK expression, or undefined when it is not one. */
export function checkValueList(expression: string): string[] | undefined {
  const any = /=\s*ANY\s*\(+\s*ARRAY\s*\[(.*?)\]/is.exec(expression);
  if (any) {
    const values = literals(any[1]!);
    return values.length ? values : undefined;
  }
  // (kind = 'a'::text) OR (kind = 'b'::text) ...
  const body = /^\s*CHECK\s*\((.*)\)\s*$/is.exec(expression)?.[1] ?? expression;
  const alternatives = body.split(/\s+OR\s+/i);
  if (alternatives.length < 2) return undefined;
  const values: string[] = [];
  for (const alt of alternatives) {
    const m =
      /^\(*\s*(?:\(?[\w"$.]+\)?(?:::[\w\s]+)?)\s*=\s*('(?:[^']|'')*'|-?\d+(?:\.\d+)?)(?:::[\w\s]+)?\s*\)*$/s.exec(
        alt.trim(),
      );
    if (!m) return undefined;
    values.push(...literals(m[1]!));
  }
  return values.length ? values : undefined;
}

/** Type spellings a column may carry for a type named `name` in `schema` (format_type quotes and qualifies). */
export function typeSpellings(schema: string, name: string): string[] {
  const q = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return [name, q(name), `${schema}.${name}`, `${q(schema)}.${q(name)}`];
}

/** `mood[]` → `mood`: arrays of an enum or domain carry the same values. */
export const elementType = (type: string) => type.replace(/(\[\])+$/, '');
