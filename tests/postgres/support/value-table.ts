/**
 * The value table of docs/api.md ("Values"), read from the docs so the documented forms are the tested ones,
 * and the run of one example (`SELECT <example>`) to its JSON text and CSV field.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runReadOnlyQuery } from '../../../lib/postgres/query.js';
import { csvField, valueJson } from '../../../lib/postgres/value-text.js';
import type { ConnectionConfig } from '../../../lib/types.js';

export interface ValueRow {
  typeClass: string;
  example: string;
  json: string;
  csv: string;
}

/** The types the examples use. */
export const VALUE_TYPES_SQL = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (n int, label text);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);`;

const code = (cell: string) => (cell === '(empty)' ? '' : cell.replace(/^`(.*)`$/, '$1'));

export function readValueTable(): ValueRow[] {
  // Relative to the checkout (jest and the TZ child processes run from it).
  const docs = readFileSync(resolve('docs/api.md'), 'utf8');
  const section = docs.slice(docs.indexOf('\n## Values\n'));
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((line) => {
    const [typeClass, example, json, csv] = line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    return { typeClass: typeClass!, example: code(example!), json: code(json!), csv: code(csv!) };
  });
}

/** [JSON text, CSV field] of `SELECT <example>`. */
export async function runExample(conn: ConnectionConfig, example: string): Promise<[string, string]> {
  const result = await runReadOnlyQuery(conn, `SELECT ${example} AS v`);
  const value = result.rows[0]![0]!;
  return [valueJson(value), csvField(value)];
}
