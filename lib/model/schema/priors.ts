/**
 * What the ranking knows about a relation before reading the question: the foreign-key graph (for join
 * paths), and a prior that favours the relations people query — tables in the main schemas, referenced by
 * others, holding rows — over documentation, audit, archive or backup copies and views that only mirror a
 * table under another name.
 */
import type { IndexedRelation } from './relations.js';

/** Schemas that hold copies, logs or documentation rather than the data people ask about. */
const SECONDARY_SCHEMA =
  /^(doc|docs|documentation|audit|audits|audit_log|archive|archives|archived|backup|backups|bak|old|legacy|deprecated|obsolete|staging|stage|tmp|temp|scratch|sandbox|test|tests|testing|dbmirror\d*|history_archive|migrations?|partman|cron|repack|_timescaledb\w*|timescaledb_\w+|\w+_(archive|backup|old|bak|audit|doc|docs))$/i;

/** Relation names that say they are a copy. */
const COPY_NAME =
  /(^|_)(old|bak|backup|copy|tmp|temp|deprecated|archive|archived)(_|$)|_(19|20)\d{2}(_?\d{2}){0,2}$|_v\d+$/i;

const KIND_PRIOR: Record<IndexedRelation['kind'], number> = {
  table: 1,
  partitioned_table: 1,
  materialized_view: 0.9,
  foreign_table: 0.9,
  view: 0.85,
};

export interface Graph {
  /** Relations each relation references (its foreign keys), and relations referencing it. */
  out: number[][];
  in: number[][];
}

export function foreignKeyGraph(relations: IndexedRelation[]): Graph {
  const out = relations.map(() => [] as number[]);
  const inn = relations.map(() => [] as number[]);
  relations.forEach((r, i) => {
    for (const fk of r.fks) {
      if (fk.target === undefined || fk.target === i || out[i]!.includes(fk.target)) continue;
      out[i]!.push(fk.target);
      inn[fk.target]!.push(i);
    }
  });
  return { out, in: inn };
}

/**
 * Views whose columns are (nearly) those of a table: shortcut or compatibility views. The table is the better
 * line for the model (it carries the keys), so such a view ranks below it.
 */
function mirrorViews(relations: IndexedRelation[]): Set<number> {
  const tablesByColumn = new Map<string, number[]>();
  relations.forEach((r, i) => {
    if (r.kind !== 'table' && r.kind !== 'partitioned_table') return;
    for (const c of r.columns) {
      const list = tablesByColumn.get(c.name);
      if (list) list.push(i);
      else tablesByColumn.set(c.name, [i]);
    }
  });
  const mirrors = new Set<number>();
  relations.forEach((r, i) => {
    if (r.kind !== 'view' && r.kind !== 'materialized_view') return;
    const names = new Set(r.columns.map((c) => c.name));
    if (names.size < 3) return;
    // Compare only with the tables sharing the view's rarest column.
    let rarest: number[] | undefined;
    for (const n of names) {
      const list = tablesByColumn.get(n);
      if (list && (!rarest || list.length < rarest.length)) rarest = list;
    }
    for (const t of rarest ?? []) {
      const cols = relations[t]!.columns;
      const shared = cols.filter((c) => names.has(c.name)).length;
      if (shared >= 3 && shared / (names.size + cols.length - shared) >= 0.75) {
        mirrors.add(i);
        break;
      }
    }
  });
  return mirrors;
}

export function relationPriors(
  relations: IndexedRelation[],
  graph: Graph,
  searchPath: string[],
): Float64Array {
  const main = new Set(['public', ...searchPath]);
  const mirrors = mirrorViews(relations);
  const tablesPerSchema = new Map<string, number>();
  for (const r of relations) {
    if (r.kind === 'table' || r.kind === 'partitioned_table')
      tablesPerSchema.set(r.schema, (tablesPerSchema.get(r.schema) ?? 0) + 1);
  }
  const prior = new Float64Array(relations.length);
  relations.forEach((r, i) => {
    let p = KIND_PRIOR[r.kind];
    if (SECONDARY_SCHEMA.test(r.schema)) p *= 0.4;
    else if (!main.has(r.schema) && !tablesPerSchema.get(r.schema)) p *= 0.8; // a schema of views only
    if (COPY_NAME.test(r.name)) p *= 0.5;
    if (mirrors.has(i)) p *= 0.6;
    const degree = graph.out[i]!.length + graph.in[i]!.length;
    p *= 1 + 0.08 * Math.log1p(degree);
    if (r.rows !== null) p *= r.rows === 0 ? 0.9 : 1 + 0.03 * Math.log1p(r.rows);
    prior[i] = p;
  });
  return prior;
}
