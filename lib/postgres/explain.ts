/**
 * The planner's plan for one statement, as EXPLAIN (FORMAT JSON) gives it. Never ANALYZE: the statement is
 * planned, not run. Same guarantees as run-query: one statement (extended protocol), read-only transaction
 * rolled back, statement timeout.
 */
import type { ConnectionConfig } from '../types.js';
import { withReadOnlyTransaction, type SessionOptions } from './session.js';
import { checkStatement } from './statement.js';
import { AppError, isAppError } from '../errors.js';

const PREFIX = 'EXPLAIN (FORMAT JSON) ';

/** The server counts positions in the text it got; the user wrote it without the prefix. */
function intoUserSql(err: unknown): unknown {
  if (!isAppError(err) || typeof err.details?.position !== 'number') return err;
  const position = err.details.position - PREFIX.length;
  if (position < 1) return err;
  return new AppError(err.code, err.message, { ...err.details, position }, { cause: err.cause });
}

export async function explainQuery(
  conn: ConnectionConfig,
  sql: string,
  opts: Omit<SessionOptions, 'statementTimeoutMs'> & { timeoutMs?: number } = {},
): Promise<unknown> {
  const kind = await checkStatement(sql);
  if (kind === 'explain') throw new AppError('SqlError', 'Give the statement to explain without EXPLAIN');
  if (kind !== 'select') throw new AppError('SqlError', 'Only a SELECT can be explained');
  const text = PREFIX + sql;
  // The text that runs is checked too: it must still be EXPLAIN of that one SELECT.
  await checkStatement(text);
  try {
    return await withReadOnlyTransaction(
      conn,
      { ...opts, statementTimeoutMs: opts.timeoutMs },
      async (client) => {
        // `values: []` forces the extended protocol, which refuses a second statement smuggled after the first.
        const result = await client.query<{ 'QUERY PLAN': unknown }>({
          text,
          values: [],
          queryMode: 'extended',
        } as never);
        return result.rows[0]?.['QUERY PLAN'] ?? null;
      },
    );
  } catch (err) {
    throw intoUserSql(err);
  }
}
