/**
 * Identifiers spelled the way SQL needs them, as PostgreSQL's quote_ident does: bare when the name is a
 * lower-case simple identifier and not a keyword PostgreSQL reserves in some position, double-quoted (with
 * inner quotes doubled) otherwise. `public."User"`, `"first name"`, `sales."group"`.
 */

/** pg_get_keywords() entries whose category is not "unreserved" (PostgreSQL 15–17; a test checks the server's). */
const NEEDS_QUOTES = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both ' +
    'case cast char character check coalesce collate collation column concurrently constraint create cross ' +
    'current_catalog current_date current_role current_schema current_time current_timestamp current_user dec ' +
    'decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign ' +
    'freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect ' +
    'interval into is isnull join json json_array json_arrayagg json_exists json_object json_objectagg json_query ' +
    'json_scalar json_serialize json_table json_value lateral leading least left like limit localtime ' +
    'localtimestamp merge_action national natural nchar none normalize not notnull null nullif numeric offset on ' +
    'only or order out outer overlaps overlay placing position precision primary real references returning ' +
    'right row select session_user setof similar smallint some substring symmetric system_user table ' +
    'tablesample then time timestamp to trailing treat trim true union unique user using values varchar ' +
    'variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest ' +
    'xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

export const reservedWords = (): ReadonlySet<string> => NEEDS_QUOTES;

export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !NEEDS_QUOTES.has(name)) return name;
  return '"' + name.replace(/"/g, '""') + '"';
}

/** `schema.name`, each part quoted as needed. */
export const qualifiedName = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/**
 * Splits `schema.table`, `"My Schema"."My.Table"` or `table` as SQL reads them (unquoted parts fold to
 * lower case only when asked: a model may write `Orders` for a table it saw as `orders`).
 */
export function parseQualifiedName(text: string): { schema?: string; name: string } | undefined {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^."\s]+))\s*(\.|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
    at = re.lastIndex;
    if (m[3] === '') break;
  }
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  return undefined;
}
