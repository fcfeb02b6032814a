/**
 * Turns the catalog rows of inspect-sql.ts into RelationInfo (pure). Constraints and indexes of partitions
 * arrive marked `folded`; each distinct definition is kept once on the parent (partitions usually repeat the
 * same key under their own names), after whatever the parent declares itself.
 */
import type { ColumnInfo, IndexInfo, RelationInfo, RelationKind, SchemaEntry } from './inspect-types.js';

export interface RelationRow {
  oid: string;
  schema: string;
  name: string;
  kind: string;
  comment: string | null;
  full_access: boolean;
  row_estimate: number | null;
  partition_key: string | null;
  partitions: string[];
  descendants: string[];
}

export interface ConstraintRow {
  oid: string;
  folded: boolean;
  name: string;
  type: 'p' | 'f' | 'u' | 'c' | 'x';
  columns: string[];
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[];
  on_update: string;
  on_delete: string;
  deferrable: boolean;
  initially_deferred: boolean;
  definition: string | null;
  nulls_not_distinct: boolean;
}

export interface IndexRow extends IndexInfo {
  oid: string;
  folded: boolean;
}

export type ColumnRow = ColumnInfo & { oid: string };

const KINDS: Record<string, RelationKind> = {
  r: 'table',
  v: 'view',
  m: 'materialized_view',
  p: 'partitioned_table',
  f: 'foreign_table',
};

const FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

export function groupByOid<R extends { oid: string }>(rows: R[]): Map<string, R[]> {
  const map = new Map<string, R[]>();
  for (const row of rows) {
    const list = map.get(row.oid);
    if (list) list.push(row);
    else map.set(row.oid, [row]);
  }
  return map;
}

/** The relation's own rows, then the partitions' rows whose definition the list does not have yet. */
function distinct<R extends { folded: boolean }>(rows: R[], signature: (row: R) => string): R[] {
  const seen = new Set<string>();
  const out: R[] = [];
  for (const row of rows) {
    const sig = signature(row);
    if (row.folded && seen.has(sig)) continue;
    seen.add(sig);
    out.push(row);
  }
  return out;
}

const cols = (c: string[]) => JSON.stringify(c);

export function buildRelation(
  rel: RelationRow,
  columns: ColumnRow[],
  constraints: ConstraintRow[],
  indexes: IndexRow[],
): RelationInfo {
  const of = (type: ConstraintRow['type']) => constraints.filter((c) => c.type === type);
  const pk = distinct(of('p'), (c) => cols(c.columns))[0];
  const deferral = (c: ConstraintRow) => ({
    deferrable: c.deferrable,
    initiallyDeferred: c.initially_deferred,
  });
  return {
    name: rel.name,
    kind: KINDS[rel.kind] ?? 'table',
    comment: rel.comment,
    rowEstimate: rel.row_estimate === null ? null : Math.round(rel.row_estimate),
    columns: columns.map(({ name, type, nullable, default: def, comment }) => ({
      name,
      type,
      nullable,
      default: def,
      comment,
    })),
    primaryKey: pk ? { name: pk.name, columns: pk.columns } : null,
    foreignKeys: distinct(of('f'), (c) =>
      JSON.stringify([c.columns, c.ref_schema, c.ref_table, c.ref_columns, c.on_update, c.on_delete]),
    ).map((c) => ({
      name: c.name,
      columns: c.columns,
      references: { schema: c.ref_schema ?? '', table: c.ref_table ?? '', columns: c.ref_columns },
      onUpdate: FK_ACTIONS[c.on_update] ?? c.on_update,
      onDelete: FK_ACTIONS[c.on_delete] ?? c.on_delete,
      ...deferral(c),
    })),
    uniqueConstraints: distinct(of('u'), (c) => cols([...c.columns, String(c.nulls_not_distinct)])).map(
      (c) => ({ name: c.name, columns: c.columns, nullsNotDistinct: c.nulls_not_distinct, ...deferral(c) }),
    ),
    checkConstraints: distinct(of('c'), (c) => c.definition ?? '').map((c) => ({
      name: c.name,
      columns: c.columns,
      expression: c.definition ?? '',
    })),
    exclusionConstraints: distinct(of('x'), (c) => c.definition ?? '').map((c) => ({
      name: c.name,
      definition: c.definition ?? '',
    })),
    indexes: distinct(indexes, (i) =>
      cols([i.method, String(i.unique), String(i.primary), String(i.nullsNotDistinct), ...i.columns]),
    ).map(({ name, columns: keys, unique, primary, method, definition, nullsNotDistinct }) => ({
      name,
      columns: keys,
      unique,
      primary,
      method,
      definition,
      nullsNotDistinct,
    })),
    partitionKey: rel.partition_key,
    partitions: rel.partitions,
  };
}

export const emptySchema = (name: string, comment: string | null): SchemaEntry => ({
  name,
  comment,
  relations: [],
  enums: [],
  domains: [],
});
