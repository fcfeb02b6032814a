/**
 * The baseline the benchmark prints next to the ranked context: the schema summary as Semaia built it
 * before the schema index (alphabetical relations, full lines until 80% of the budget, then names, then a
 * count; no quoting, no values). Kept here only to measure against; the product no longer uses it.
 */
import type { RelationInfo, SchemaInfo } from '../../../lib/postgres/inspect.js';

const COMMENT_CHARS = 80;
const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + '…' : text);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function approx(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(n);
}

function relationLine(schema: string, rel: RelationInfo): string {
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

export function alphabeticalSummary(info: SchemaInfo, budget: number): string {
  const all = info.schemas.flatMap((s) => s.relations.map((rel) => ({ schema: s.name, rel })));
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
    if (left > 0) lines.push(`… and ${left} more relations not listed.`);
    lines.push('(Schema cut to fit: call describe_table for the columns of a table not shown in full.)');
  }
  return lines.join('\n');
}
