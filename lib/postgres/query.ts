/**
 * Runs one user- or model-written SQL statement read-only (see session.ts for the transaction and timeouts):
 * - one statement only: pg-cursor uses the extended protocol, which refuses a second statement;
 * - at most `limit` rows (default 1,000, max 10,000), read through a cursor so memory stays bounded;
 *   limit+1 rows are asked for so `truncated` is exact;
 * - rows come back as arrays aligned with `columns` (duplicate column names survive), values JSON-safe.
 */
import Cursor from 'pg-cursor';
import type pg from 'pg';
import type { ConnectionConfig } from '../types.js';
import { withReadOnlyTransaction, type SessionOptions } from './session.js';
import { checkStatement } from './statement.js';
import { resolveTypeNames } from './type-names.js';
import { queryTypes, toJsonSafe } from './values.js';

export const DEFAULT_ROW_LIMIT = 1_000;
export const MAX_ROW_LIMIT = 10_000;

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: unknown[][];
  /** Rows returned (≤ limit). */
  rowCount: number;
  /** True when the statement had more rows than the limit. */
  truncated: boolean;
  durationMs: number;
}

export interface RunQueryOptions extends Omit<SessionOptions, 'statementTimeoutMs'> {
  limit?: number;
  /** statement_timeout in ms (default config.statementTimeoutMs, capped at 120 s). */
  timeoutMs?: number;
}

export const clampLimit = (limit: number | undefined): number =>
  Math.max(1, Math.min(Math.floor(limit ?? DEFAULT_ROW_LIMIT), MAX_ROW_LIMIT));

function readRows(
  cursor: Cursor<unknown[]>,
  count: number,
): Promise<{ rows: unknown[][]; result: pg.QueryResult }> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (err, rows, result) => (err ? reject(err) : resolve({ rows, result })));
  });
}

export async function runReadOnlyQuery(
  conn: ConnectionConfig,
  sql: string,
  opts: RunQueryOptions = {},
): Promise<QueryResult> {
  await checkStatement(sql);
  const limit = clampLimit(opts.limit);
  return withReadOnlyTransaction(conn, { ...opts, statementTimeoutMs: opts.timeoutMs }, async (client) => {
    const started = performance.now();
    const cursor = client.query(
      new Cursor<unknown[]>(sql, undefined, { rowMode: 'array', types: queryTypes }),
    );
    const { rows, result } = await readRows(cursor, limit + 1);
    await cursor.close();
    const durationMs = Math.round(performance.now() - started);
    const fields = result.fields ?? [];
    const types = await resolveTypeNames(client, fields);
    const truncated = rows.length > limit;
    const kept = truncated ? rows.slice(0, limit) : rows;
    return {
      columns: fields.map((f, i) => ({ name: f.name, type: types[i]! })),
      rows: kept.map((row) => row.map(toJsonSafe)),
      rowCount: kept.length,
      truncated,
      durationMs,
    };
  });
}
