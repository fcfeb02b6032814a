/**
 * Runs one user- or model-written SQL statement read-only (see session.ts for the transaction and timeouts):
 * - one statement only (the extended protocol refuses a second one), no placeholders;
 * - its columns described first, with declared type names (domains by their own name);
 * - rows read through a server-side cursor with backpressure (row-cursor.ts), values exact (values.ts);
 * - `runReadOnlyQuery` keeps at most `limit` rows and `maxBytes` bytes of rows (their JSON text) and says
 *   which bound cut the result; the streaming replies (result-stream.ts) apply the same bounds as they write.
 */
import type { ConnectionConfig } from '../types.js';
import { config } from '../config.js';
import { isAppError } from '../errors.js';
import { describeStatement } from './describe.js';
import { openRowCursor, RowCursor } from './row-cursor.js';
import { withReadOnlyTransaction, type SessionOptions } from './session.js';
import { checkStatement } from './statement.js';
import { resolveColumnTypes } from './type-names.js';
import { valueJson } from './value-text.js';
import { converterFor, type Value } from './values.js';

export const DEFAULT_ROW_LIMIT = 1_000;
export const MAX_ROW_LIMIT = 10_000;
/** The most a request may ask for as its byte budget (`maxBytes`). */
export const MAX_RESULT_BYTES_LIMIT = 32 * 1024 * 1024;

export interface QueryColumn {
  name: string;
  type: string;
}

export type TruncatedReason = 'rows' | 'bytes';

export interface QueryResult {
  columns: QueryColumn[];
  rows: Value[][];
  /** Rows returned (≤ limit). */
  rowCount: number;
  /** True when the statement had more rows than the limit, or more bytes than the budget. */
  truncated: boolean;
  truncatedReason?: TruncatedReason;
  durationMs: number;
}

export interface QueryOptions extends Omit<SessionOptions, 'statementTimeoutMs'> {
  /** statement_timeout in ms (default config.statementTimeoutMs); bounds the whole read. */
  timeoutMs?: number;
}

export interface RunQueryOptions extends QueryOptions {
  limit?: number;
  /** Bytes of rows (their JSON text) to keep at most (default SQL_MAX_RESULT_BYTES). */
  maxBytes?: number;
}

/** The result of a statement, being read. */
export interface RowSource {
  columns: QueryColumn[];
  /** The next rows (at least one), or [] when there are no more. */
  take(): Promise<Value[][]>;
  /** True when [] came because the next row was over SQL_MAX_ROW_BYTES (after some rows were taken). */
  readonly cutByRowCap: boolean;
  /** When the statement started (performance.now()). */
  started: number;
}

/** The wire guard's refusal of a row over SQL_MAX_ROW_BYTES (wire-guard.ts). */
const isRowTooLarge = (err: unknown) =>
  isAppError(err, 'SqlError') && typeof err.details?.maxRowBytes === 'number';

export const clampLimit = (limit: number | undefined): number =>
  Math.max(1, Math.min(Math.floor(limit ?? DEFAULT_ROW_LIMIT), MAX_ROW_LIMIT));

export const clampMaxBytes = (bytes: number | undefined): number =>
  Math.max(1, Math.min(Math.floor(bytes ?? config.sqlMaxResultBytes), MAX_RESULT_BYTES_LIMIT));

/** Opens the statement's result and hands it to `work`, which reads at most `maxRows` rows. */
export async function withQueryRows<T>(
  conn: ConnectionConfig,
  sql: string,
  opts: QueryOptions & { maxRows: number },
  work: (rows: RowSource) => Promise<T>,
): Promise<T> {
  await checkStatement(sql);
  return withReadOnlyTransaction(conn, { ...opts, statementTimeoutMs: opts.timeoutMs }, async (client) => {
    const started = performance.now();
    const fields = await describeStatement(client, sql);
    const types = await resolveColumnTypes(client, fields);
    const converters = types.map((t) => converterFor(t.value));
    const convert = (raw: (string | null)[]) => {
      const row = new Array<Value>(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const text = raw[i];
        row[i] = text === null || text === undefined ? null : converters[i]!(text);
      }
      return row;
    };
    const cursor = new RowCursor(sql, convert, opts.maxRows);
    openRowCursor(client, cursor);
    // Rows already handed on stay valid when a later one is over the cap: the result ends there, cut for size
    // (a row over the cap could never fit a reply's byte budget). Before any row, the cap is the error.
    let taken = 0;
    let cutByRowCap = false;
    const take = async () => {
      if (cutByRowCap) return [];
      try {
        const rows = await cursor.take();
        taken += rows.length;
        return rows;
      } catch (err) {
        if (taken === 0 || !isRowTooLarge(err)) throw err;
        cutByRowCap = true;
        return [];
      }
    };
    try {
      return await work({
        columns: fields.map((f, i) => ({ name: f.name, type: types[i]!.name })),
        take,
        get cutByRowCap() {
          return cutByRowCap;
        },
        started,
      });
    } finally {
      await cursor.close().catch((err: unknown) => {
        if (!cutByRowCap) throw err;
      });
    }
  });
}

/**
 * Reads rows while they fit `limit` and `maxBytes`, handing each kept row and its JSON text to `keep`.
 * Reads one row past the limit so `truncated` is exact.
 */
export async function takeWithin(
  source: RowSource,
  bounds: { limit: number; maxBytes: number },
  keep: (row: Value[], json: string) => Promise<void> | void,
): Promise<{ rowCount: number; truncated: boolean; truncatedReason?: TruncatedReason }> {
  let rowCount = 0;
  let bytes = 0;
  for (;;) {
    const rows = await source.take();
    if (rows.length === 0) {
      return source.cutByRowCap
        ? { rowCount, truncated: true, truncatedReason: 'bytes' }
        : { rowCount, truncated: false };
    }
    for (const row of rows) {
      if (rowCount === bounds.limit) return { rowCount, truncated: true, truncatedReason: 'rows' };
      const json = valueJson(row);
      bytes += Buffer.byteLength(json) + (rowCount > 0 ? 1 : 0); // the comma between rows
      if (bytes > bounds.maxBytes) return { rowCount, truncated: true, truncatedReason: 'bytes' };
      await keep(row, json);
      rowCount++;
    }
  }
}

export async function runReadOnlyQuery(
  conn: ConnectionConfig,
  sql: string,
  opts: RunQueryOptions = {},
): Promise<QueryResult> {
  const limit = clampLimit(opts.limit);
  const maxBytes = clampMaxBytes(opts.maxBytes);
  return withQueryRows(conn, sql, { ...opts, maxRows: limit + 1 }, async (source) => {
    const rows: Value[][] = [];
    const outcome = await takeWithin(source, { limit, maxBytes }, (row) => void rows.push(row));
    return {
      columns: source.columns,
      rows,
      ...outcome,
      durationMs: Math.round(performance.now() - source.started),
    };
  });
}
