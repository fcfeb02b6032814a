/**
 * The schema as the model sees it: a compact text summary within a character budget (the rest reachable
 * through `describe_table`), built from inspectSchema and cached per connector in-process for a short time
 * (a chat's follow-up messages then skip five catalog queries).
 */
import { inspectSchema, type RelationInfo, type SchemaInfo } from '../postgres/inspect.js';
import type { ConnectionConfig } from '../types.js';

export const SCHEMA_SUMMARY_BUDGET = 12_000;
const CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 50;
const COMMENT_CHARS = 80;

export interface SchemaContext {
  info: SchemaInfo;
  summary: string;
  describe(schema: string | undefined, table: string): (RelationInfo & { schema: string }) | undefined;
}

const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + '…' : text);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function approx(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(n);
}

/** One relation on one line: `- public.orders (table, ~1.2k rows): id integer PK, customer_id integer → public.customers.id`. */
export function relationLine(schema: string, rel: RelationInfo): string {
  const pk = new Set(rel.primaryKey?.columns ?? []);
  const fkByColumn = new Map<string, string>();
  const multiFks: string[] = [];
  for (const fk of rel.foreignKeys) {
    const target = `${fk.references.schema}.${fk.references.table}`;
    if (fk.columns.length === 1)
      fkByColumn.set(fk.columns[0]!, `→ ${target}.${fk.references.columns[0] ?? ''}`);
    else multiFks.push(`(${fk.columns.join(', ')}) → ${target}(${fk.references.columns.join(', ')})`);
  }
  const cols = rel.columns.map((c) => {
    const parts = [c.name, c.type];
    if (pk.has(c.name)) parts.push('PK');
    else if (!c.nullable) parts.push('NOT NULL');
    const fk = fkByColumn.get(c.name);
    if (fk) parts.push(fk);
    if (c.comment) parts.push(`-- ${cut(oneLine(c.comment), COMMENT_CHARS)}`);
    return parts.join(' ');
  });
  const kind = rel.kind.replace('_', ' ');
  const rows = rel.rowEstimate !== null ? `, ~${approx(rel.rowEstimate)} rows` : '';
  const comment = rel.comment ? ` -- ${cut(oneLine(rel.comment), COMMENT_CHARS)}` : '';
  const fks = multiFks.length ? `; FK ${multiFks.join('; FK ')}` : '';
  return `- ${schema}.${rel.name} (${kind}${rows})${comment}: ${cols.join(', ')}${fks}`;
}

/**
 * Full lines while they fit in most of the budget, then names only, then a count of what was left out, with
 * a note pointing the model at describe_table.
 */
export function summarizeSchema(info: SchemaInfo, budget = SCHEMA_SUMMARY_BUDGET): string {
  const all = info.schemas.flatMap((s) => s.relations.map((rel) => ({ schema: s.name, rel })));
  if (all.length === 0) return '(no tables or views are visible to this connection)';
  const lines: string[] = [];
  let used = 0;
  let i = 0;
  const fullBudget = Math.floor(budget * 0.8);
  for (; i < all.length; i++) {
    const line = relationLine(all[i]!.schema, all[i]!.rel);
    if (used + line.length + 1 > fullBudget) break;
    lines.push(line);
    used += line.length + 1;
  }
  if (i < all.length) {
    const names: string[] = [];
    let namesUsed = 0;
    const nameBudget = budget - used - 200;
    for (; i < all.length; i++) {
      const name = `${all[i]!.schema}.${all[i]!.rel.name}`;
      if (namesUsed + name.length + 2 > nameBudget) break;
      names.push(name);
      namesUsed += name.length + 2;
    }
    if (names.length) lines.push(`Other relations (columns not shown): ${names.join(', ')}`);
    const left = all.length - i;
    if (left > 0) lines.push(`… and ${left}${info.truncated ? '+' : ''} more relations not listed.`);
    lines.push('(Schema cut to fit: call describe_table for the columns of a table not shown in full.)');
  } else if (info.truncated) {
    lines.push(`(Only the first ${info.maxRelations} relations were inspected.)`);
  }
  return lines.join('\n');
}

export function findRelation(
  info: SchemaInfo,
  schema: string | undefined,
  table: string,
): (RelationInfo & { schema: string }) | undefined {
  const candidates = info.schemas
    .filter((s) => schema === undefined || s.name === schema || s.name.toLowerCase() === schema.toLowerCase())
    .flatMap((s) => s.relations.map((rel) => ({ ...rel, schema: s.name })));
  // Exact name first (quoted identifiers are case-sensitive), then the case-folded one.
  return (
    candidates.find((r) => r.name === table) ??
    candidates.find((r) => r.name === table.toLowerCase()) ??
    candidates.find((r) => r.name.toLowerCase() === table.toLowerCase())
  );
}

export function schemaContext(info: SchemaInfo, budget = SCHEMA_SUMMARY_BUDGET): SchemaContext {
  return {
    info,
    summary: summarizeSchema(info, budget),
    describe: (schema, table) => findRelation(info, schema, table),
  };
}

// ---- cache (per container; entries are keyed by user, connector and its last update) ----

const cache = new Map<string, { at: number; value: Promise<SchemaContext> }>();

/**
 * The schema context of a connector, inspected at most once per TTL. `cacheKey` must name the user and the
 * connector's version (e.g. its updatedAt), so an edited connector is inspected again.
 */
export function getSchemaContext(
  cacheKey: string,
  conn: ConnectionConfig,
  opts: { signal?: AbortSignal } = {},
): Promise<SchemaContext> {
  const now = Date.now();
  const hit = cache.get(cacheKey);
  if (hit && now - hit.at < CACHE_TTL_MS) return hit.value;
  const value = inspectSchema(conn, { signal: opts.signal }).then((info) => schemaContext(info));
  cache.set(cacheKey, { at: now, value });
  value.catch(() => cache.delete(cacheKey)); // a failure is not remembered
  while (cache.size > CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return value;
}

/** Tests: forget every cached schema. */
export function clearSchemaCache(): void {
  cache.clear();
}
