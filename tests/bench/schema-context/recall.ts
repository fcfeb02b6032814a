/**
 * Does a schema context hold what a question needs? For each gold table: a full line (`- schema.table …: `)
 * listing every column the gold SQL reads. Identifiers must be spelled as SQL needs them (quoted when
 * needed) in the ranked context; the baseline, which never quoted, is also credited for bare spellings.
 */
import { qualifiedName, quoteIdent } from '../../../lib/model/schema/quote.js';
import type { Gold } from './gold.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Recall {
  tables: number;
  present: number;
  /** `schema.table` of the gold tables missing (or missing columns). */
  missing: string[];
}

export function recallOf(context: string, gold: Gold, lenient = false): Recall {
  const lines = context.split('\n');
  const missing: string[] = [];
  for (const [qualified, columns] of Object.entries(gold)) {
    const dot = qualified.indexOf('.');
    const [schema, table] = [qualified.slice(0, dot), qualified.slice(dot + 1)];
    const names = [qualifiedName(schema, table), ...(lenient ? [`${schema}.${table}`] : [])];
    const line = lines.find((l) => names.some((n) => l.startsWith(`- ${n} `) || l.startsWith(`- ${n}:`)));
    const has = (c: string) =>
      [quoteIdent(c), ...(lenient ? [c] : [])].some((n) => new RegExp(`(: |, )${escape(n)} `).test(line!));
    if (!line || !columns.every(has)) missing.push(qualified);
  }
  return { tables: Object.keys(gold).length, present: Object.keys(gold).length - missing.length, missing };
}
