/**
 * The tables and columns a gold SQL reads, from PostgreSQL's own parse tree (libpg-query): every RangeVar,
 * and every column reference resolved through its alias, or, unqualified, to the one table of the query
 * that has such a column (a name no table has is an output alias). The bench checks each question's listed
 * tables against this, so a hand-written gold list cannot drift from its SQL.
 */
import { parse } from 'libpg-query';

export type Gold = Record<string, string[]>;

/** Columns of every relation, by `schema.table`. */
export type Catalog = Map<string, Set<string>>;

function walk(node: unknown, visit: (key: string, value: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (value && typeof value === 'object' && !Array.isArray(value))
        visit(key, value as Record<string, unknown>);
      walk(value, visit);
    }
  }
}

export async function goldOf(sql: string, catalog: Catalog): Promise<Gold> {
  const tree = await parse(sql);
  const aliases = new Map<string, string>();
  const tables = new Set<string>();
  const refs: string[][] = [];
  walk(tree, (key, value) => {
    if (key === 'RangeVar') {
      const name = `${(value.schemaname as string) ?? 'public'}.${value.relname as string}`;
      if (!catalog.has(name)) return; // a CTE
      tables.add(name);
      aliases.set(
        (value.alias as { aliasname?: string } | undefined)?.aliasname ?? (value.relname as string),
        name,
      );
    }
    if (key === 'ColumnRef') {
      const fields = (value.fields as { String?: { sval: string } }[]).map((f) => f.String?.sval);
      if (fields.every((f): f is string => f !== undefined)) refs.push(fields);
    }
  });
  const gold: Gold = Object.fromEntries([...tables].map((t) => [t, [] as string[]]));
  for (const ref of refs) {
    const column = ref[ref.length - 1]!;
    const owner =
      ref.length >= 2
        ? aliases.get(ref[ref.length - 2]!)
        : [...tables].find((t) => catalog.get(t)!.has(column));
    if (owner && catalog.get(owner)!.has(column) && !gold[owner]!.includes(column)) gold[owner]!.push(column);
  }
  for (const cols of Object.values(gold)) cols.sort();
  return gold;
}
