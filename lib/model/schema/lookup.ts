/**
 * The model's two schema tools, answered from the index:
 * - describe_table: one relation in full; a name that exists in several schemas returns the candidates
 *   (ranked by the priors) instead of a guess.
 * - search_schema: keywords ranked like the context, or a pattern (`%` / `*` wildcards) over relation and
 *   column names; optional schema; names, summary or full lines.
 * Both answers stay within a character budget given by the caller (the tools' per-result bound).
 */
import { cut, relationLine, shortType } from './lines.js';
import { parseQualifiedName, qualifiedName, quoteIdent } from './quote.js';
import { rankRelations, type Ranked } from './rank.js';
import type { IndexedRelation } from './relations.js';

export type Detail = 'names' | 'summary' | 'full';

export interface SearchArgs {
  query: string;
  schema?: string;
  detail?: Detail;
}

const sameName = (a: string, b: string) => a === b || a.toLowerCase() === b.toLowerCase();

function candidates(r: Ranked, schema: string | undefined, table: string): number[] {
  const rels = r.search.relations;
  const inSchema = (i: number) => schema === undefined || sameName(rels[i]!.schema, schema);
  const pool = (r.search.byName.get(table.toLowerCase()) ?? []).filter(inSchema);
  // Quoted identifiers are case-sensitive: an exact spelling wins over case-folded ones.
  const exact = pool.filter(
    (i) => rels[i]!.name === table && (schema === undefined || rels[i]!.schema === schema),
  );
  return (exact.length ? exact : pool).sort((a, b) => r.prior[b]! - r.prior[a]!);
}

function description(r: Ranked, i: number): Record<string, unknown> {
  const rel = r.search.relations[i]!;
  const referencedBy = r.graph.in[i]!.map((j) => {
    const other = r.search.relations[j]!;
    const fk = other.fks.find((f) => f.target === i)!;
    return `${qualifiedName(other.schema, other.name)}(${fk.columns.map(quoteIdent).join(', ')})`;
  });
  return {
    relation: qualifiedName(rel.schema, rel.name),
    kind: rel.kind,
    rowEstimate: rel.rows,
    ...(rel.comment ? { comment: rel.comment } : {}),
    columns: rel.columns.map((c) => ({
      name: quoteIdent(c.name),
      type: c.baseType ? `${c.type} (domain over ${c.baseType})` : c.type,
      nullable: c.nullable,
      ...(c.default !== undefined ? { default: c.default } : {}),
      ...(c.values ? { values: c.values.slice(0, 50) } : {}),
      ...(c.comment ? { comment: c.comment } : {}),
    })),
    primaryKey: rel.pk ?? null,
    foreignKeys: rel.fks.map(
      (fk) =>
        `(${fk.columns.map(quoteIdent).join(', ')}) → ${qualifiedName(fk.schema, fk.table)}(${fk.refColumns.map(quoteIdent).join(', ')})`,
    ),
    ...(referencedBy.length ? { referencedBy } : {}),
    ...(rel.uniques ? { unique: rel.uniques } : {}),
    ...(rel.checks ? { checks: rel.checks } : {}),
    ...(rel.indexes ? { indexes: rel.indexes } : {}),
    ...(rel.partitionKey ? { partitionKey: rel.partitionKey, partitions: rel.partitions ?? 0 } : {}),
  };
}

/** Drops the least useful parts of a description until its JSON fits. */
function fitDescription(d: Record<string, unknown>, budget: number): Record<string, unknown> {
  const size = (v: unknown) => JSON.stringify(v).length;
  if (size(d) <= budget) return d;
  const { indexes: _i, checks: _c, referencedBy: _r, ...lean } = d;
  if (size(lean) <= budget) return lean;
  const columns = lean.columns as Record<string, unknown>[];
  const bare = columns.map(({ comment: _comment, values, ...c }) =>
    values ? { ...c, values: (values as string[]).slice(0, 10) } : c,
  );
  const kept: unknown[] = [];
  let used = size({ ...lean, columns: [] }) + 120;
  for (const c of bare) {
    if (used + size(c) + 1 > budget) break;
    kept.push(c);
    used += size(c) + 1;
  }
  const more = bare.length - kept.length;
  return { ...lean, columns: kept, ...(more ? { note: `${more} more columns not shown` } : {}) };
}

export function describeRelation(
  r: Ranked,
  schemaArg: string | undefined,
  tableArg: string,
  budget: number,
): Record<string, unknown> {
  let schema = schemaArg;
  let table = tableArg.trim();
  if (schema === undefined) {
    const parsed = parseQualifiedName(table);
    if (parsed?.schema !== undefined) ({ schema, name: table } = parsed as { schema: string; name: string });
    else if (parsed) table = parsed.name;
  }
  const found = candidates(r, schema, table);
  if (found.length === 0) {
    return { error: `No table or view named ${schema ? `${schema}.` : ''}${table || '(missing name)'}` };
  }
  if (found.length > 1) {
    const rels = r.search.relations;
    return {
      error: `Several relations are named ${table}: call describe_table again with one of these schemas`,
      candidates: found.slice(0, 20).map((i) => ({
        relation: qualifiedName(rels[i]!.schema, rels[i]!.name),
        schema: rels[i]!.schema,
        kind: rels[i]!.kind,
        rowEstimate: rels[i]!.rows,
      })),
    };
  }
  return { table: fitDescription(description(r, found[0]!), budget) };
}

function patternMatcher(query: string): RegExp | undefined {
  if (!/[%*]/.test(query)) return undefined;
  const body = query
    .trim()
    .split(/[%*]+/)
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

function summaryLine(rel: IndexedRelation): string {
  const cols = rel.columns
    .slice(0, 40)
    .map((c) => `${quoteIdent(c.name)} ${shortType(c.baseType ?? c.type)}`);
  const more = rel.columns.length > 40 ? `, …+${rel.columns.length - 40}` : '';
  const comment = rel.comment ? ` -- ${cut(rel.comment.replace(/\s+/g, ' '), 80)}` : '';
  return `${qualifiedName(rel.schema, rel.name)} (${rel.kind.replace('_', ' ')})${comment}: ${cols.join(', ')}${more}`;
}

export function searchSchema(r: Ranked, args: SearchArgs, budget: number): Record<string, unknown> {
  const rels = r.search.relations;
  const detail: Detail = args.detail ?? 'summary';
  const inSchema = (i: number) => args.schema === undefined || sameName(rels[i]!.schema, args.schema);
  const pattern = patternMatcher(args.query);
  let hits: number[];
  if (pattern) {
    hits = Array.from(rels.keys())
      .filter(inSchema)
      .filter((i) => {
        const rel = rels[i]!;
        return (
          pattern.test(rel.name) ||
          pattern.test(`${rel.schema}.${rel.name}`) ||
          rel.columns.some((c) => pattern.test(c.name))
        );
      })
      .sort((a, b) => r.prior[b]! - r.prior[a]!);
  } else {
    const ranking = rankRelations(r, { question: args.query });
    hits = ranking.order.filter((i) => ranking.scores[i]! > 0 && inSchema(i));
  }
  const items: string[] = [];
  let used = 200;
  for (const i of hits) {
    const rel = rels[i]!;
    const text =
      detail === 'names'
        ? qualifiedName(rel.schema, rel.name)
        : detail === 'full'
          ? relationLine(rel, { columnComment: 60, comment: 100, maxChars: Math.floor(budget / 2) })
          : summaryLine(rel);
    if (used + text.length + 4 > budget) break;
    items.push(text);
    used += text.length + 4;
  }
  const more = hits.length - items.length;
  return {
    matches: hits.length,
    relations: items,
    ...(more > 0 ? { note: `${more} more not shown: narrow the query or name a schema` } : {}),
    ...(hits.length === 0
      ? { note: 'Nothing matched: try other words, a pattern such as %order%, or no schema' }
      : {}),
  };
}
