/**
 * Lexical checks on user SQL before it reaches the server (pure). The server does the real work — the extended
 * protocol refuses a second statement and READ ONLY refuses writes — but a few statements have side effects a
 * read-only transaction does not stop, so they are refused by their leading keyword:
 * - COPY: `COPY … TO PROGRAM` / `TO 'file'` run commands or write files (superuser roles), and COPY TO STDOUT
 *   speaks a sub-protocol a query result cannot carry;
 * - DO: anonymous code blocks can run dynamic COPY and other side effects.
 */
import { AppError } from '../errors.js';

/** Skips whitespace, `--` comments, nested `/* *\/` comments and opening parentheses. */
function skipNoise(sql: string, from = 0): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s|\(/.test(c)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

/** The first keyword of the statement, upper case ('' when there is none). */
export function leadingKeyword(sql: string): string {
  const start = skipNoise(sql);
  return (/^[a-z_]+/i.exec(sql.slice(start))?.[0] ?? '').toUpperCase();
}

const REFUSED: Record<string, string> = {
  COPY: 'COPY statements are not allowed (use SELECT to read data)',
  DO: 'DO blocks are not allowed',
};

/** Throws SqlError for empty SQL or a refused statement kind; returns the leading keyword. */
export function checkStatement(sql: string): string {
  const keyword = leadingKeyword(sql);
  if (keyword === '') throw new AppError('SqlError', 'The SQL contains no statement');
  const refused = REFUSED[keyword];
  if (refused) throw new AppError('SqlError', refused);
  return keyword;
}
