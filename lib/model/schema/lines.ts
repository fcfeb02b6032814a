/**
 * One relation on one line, the way the model reads the schema:
 *   - sales.orders (~1.2M rows) -- One row per order: id bigint PK, customer_id int → sales.customers.id,
 *     status order_status {draft,paid,void}, "Total" numeric(10,2) /*incl. tax*\/; FK (a, b) → x.pairs(a, b)
 * Identifiers are quoted as SQL needs them, types use PostgreSQL's short spellings, domains show their base
 * type, enum labels and CHECK value lists are capped, and comments are cut.
 */
import { qualifiedName, quoteIdent } from './quote.js';
import type { IndexedColumn, IndexedRelation } from './relations.js';

export interface LineOptions {
  /** Characters of each column comment (0: none). */
  columnComment: number;
  /** Characters of the relation's comment. */
  comment: number;
  /** Longest line; past it, columns not in `keep` give way (with a count), then comments. */
  maxChars: number;
  /** Columns to keep when the line must be cut (the ones the question touches). */
  keep?: Set<string>;
}

const MAX_VALUES = 12;
const MAX_VALUE_CHARS = 120;

export const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + '…' : text);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

const SHORT_TYPES: [RegExp, string][] = [
  [/\bcharacter varying\b/g, 'varchar'],
  [/\bcharacter\b/g, 'char'],
  [/\btimestamp(\(\d\))? without time zone\b/g, 'timestamp$1'],
  [/\btimestamp(\(\d\))? with time zone\b/g, 'timestamptz$1'],
  [/\btime(\(\d\))? without time zone\b/g, 'time$1'],
  [/\btime(\(\d\))? with time zone\b/g, 'timetz$1'],
  [/\bdouble precision\b/g, 'float8'],
  [/\binteger\b/g, 'int'],
  [/\bboolean\b/g, 'bool'],
  [/\bbit varying\b/g, 'varbit'],
];

/** PostgreSQL's shorter spellings of the same types (`character varying(50)` → `varchar(50)`). */
export function shortType(type: string): string {
  let t = type;
  for (const [re, short] of SHORT_TYPES) t = t.replace(re, short);
  return t;
}

export function approxRows(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(n);
}

/** `{draft,paid,…+3}`: values quoted only when they hold separators or spaces. */
export function valueList(values: string[]): string {
  const shown: string[] = [];
  let used = 0;
  for (const v of values) {
    const text = /^[\w.@:/+-]+$/.test(v) ? v : `'${v.replace(/'/g, "''")}'`;
    if (shown.length >= MAX_VALUES || (used + text.length > MAX_VALUE_CHARS && shown.length > 0)) break;
    shown.push(text);
    used += text.length + 1;
  }
  const more = values.length - shown.length;
  return `{${shown.join(',')}${more > 0 ? `,…+${more}` : ''}}`;
}

function columnText(
  rel: IndexedRelation,
  c: IndexedColumn,
  fk: string | undefined,
  opts: LineOptions,
  withComment: boolean,
): string {
  const parts = [quoteIdent(c.name), shortType(c.baseType ?? c.type)];
  if (rel.pk?.length === 1 && rel.pk[0] === c.name) parts.push('PK');
  if (fk) parts.push(fk);
  if (c.values?.length) parts.push(valueList(c.values));
  if (withComment && opts.columnComment > 0 && c.comment) {
    parts.push(`/*${cut(oneLine(c.comment), opts.columnComment).replace(/\*\//g, '*∕')}*/`);
  }
  return parts.join(' ');
}

function header(rel: IndexedRelation, opts: LineOptions): string {
  const facts: string[] = [];
  if (rel.kind !== 'table') facts.push(rel.kind.replace('_', ' '));
  if (rel.rows !== null) facts.push(`~${approxRows(rel.rows)} rows`);
  if (rel.partitions) facts.push(`${rel.partitions} partitions`);
  const comment = rel.comment && opts.comment > 0 ? ` -- ${cut(oneLine(rel.comment), opts.comment)}` : '';
  return `- ${qualifiedName(rel.schema, rel.name)}${facts.length ? ` (${facts.join(', ')})` : ''}${comment}`;
}

export function relationLine(rel: IndexedRelation, opts: LineOptions): string {
  const fkByColumn = new Map<string, string>();
  const tail: string[] = [];
  for (const fk of rel.fks) {
    const target = qualifiedName(fk.schema, fk.table);
    if (fk.columns.length === 1) {
      fkByColumn.set(fk.columns[0]!, `→ ${target}.${quoteIdent(fk.refColumns[0] ?? '')}`);
    } else {
      const cols = (list: string[]) => list.map(quoteIdent).join(', ');
      tail.push(`FK (${cols(fk.columns)}) → ${target}(${cols(fk.refColumns)})`);
    }
  }
  if (rel.pk && rel.pk.length > 1) tail.unshift(`PK (${rel.pk.map(quoteIdent).join(', ')})`);
  const head = header(rel, opts);
  const render = (withComments: boolean, columns: IndexedColumn[]) =>
    columns.map((c) => columnText(rel, c, fkByColumn.get(c.name), opts, withComments));
  const assemble = (cols: string[], more = 0) =>
    `${head}: ${cols.join(', ')}${more ? `, …+${more} columns` : ''}${tail.length ? `; ${tail.join('; ')}` : ''}`;

  let line = assemble(render(true, rel.columns));
  if (line.length <= opts.maxChars) return line;
  line = assemble(render(false, rel.columns));
  if (line.length <= opts.maxChars) return line;
  // A very wide relation: keys and the columns the question touches first, then the others in order.
  const keys = new Set([...(rel.pk ?? []), ...fkByColumn.keys(), ...(opts.keep ?? [])]);
  const first = rel.columns.filter((c) => keys.has(c.name));
  const rest = rel.columns.filter((c) => !keys.has(c.name));
  const kept = render(false, first);
  const others = render(false, rest);
  let length = assemble(kept, rest.length).length;
  let taken = 0;
  for (const text of others) {
    if (length + text.length + 2 > opts.maxChars) break;
    length += text.length + 2;
    taken++;
  }
  const chosen = new Set([...first, ...rest.slice(0, taken)]);
  const ordered = rel.columns.filter((c) => chosen.has(c));
  return assemble(render(false, ordered), rest.length - taken);
}
