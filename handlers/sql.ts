/**
 * GET /connectors/{id}/inspect — the schema the connector's role can read.
 * POST /connectors/{id}/query {sql, limit?} — one read-only statement, rows as arrays aligned with columns.
 * Both load `pg`; only these routes import this module. Each is a SQL request of the user's per-minute limit
 * and runs in one of the connector's slots (lib/limits/sql.ts).
 */
import * as z from 'zod/mini';
import { config } from '../lib/config.js';
import { parseBody } from '../lib/http/body.js';
import { text } from '../lib/http/validators.js';
import { json, type RouteContext, type RouteHandler } from '../lib/http/types.js';
import { countSqlRequest, withSqlSlot, type SqlSession } from '../lib/limits/sql.js';
import { inspectSchema } from '../lib/postgres/inspect.js';
import { MAX_ROW_LIMIT, runReadOnlyQuery } from '../lib/postgres/query.js';
import { MAX_SQL_CHARS } from '../lib/postgres/sql-limits.js';
import { getConnectionConfig } from '../lib/store/connectors.js';

const queryBody = z.strictObject({
  sql: text(MAX_SQL_CHARS),
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_ROW_LIMIT))),
});

/** The statement must end before the function does: leave time to write the response. */
function statementTimeout(ctx: RouteContext): number {
  return Math.max(1_000, Math.min(config.statementTimeoutMs, ctx.remainingMs() - 3_000));
}

/** Counts the request (429 past the per-minute line), then describes the session for the connector's slots. */
async function sqlSession(ctx: RouteContext, statementTimeoutMs: number): Promise<SqlSession> {
  await countSqlRequest(ctx.user.uid);
  return {
    uid: ctx.user.uid,
    connectorId: ctx.params.id ?? '',
    statementTimeoutMs,
    remainingMs: ctx.remainingMs(),
    log: ctx.log,
  };
}

export const inspectConnector: RouteHandler = async (ctx) => {
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const statementTimeoutMs = statementTimeout(ctx);
  const schema = await withSqlSlot(await sqlSession(ctx, statementTimeoutMs), () =>
    inspectSchema(conn, {
      signal: ctx.signal,
      statementTimeoutMs,
      allowPrivileged: config.connectorAllowPrivilegedRoles,
    }),
  );
  return json(200, schema);
};

export const queryConnector: RouteHandler = async (ctx) => {
  const { sql, limit } = parseBody(ctx, queryBody);
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const timeoutMs = statementTimeout(ctx);
  const result = await withSqlSlot(await sqlSession(ctx, timeoutMs), () =>
    runReadOnlyQuery(conn, sql, {
      limit,
      timeoutMs,
      signal: ctx.signal,
      allowPrivileged: config.connectorAllowPrivilegedRoles,
    }),
  );
  ctx.log.info('sql query', {
    rowCount: result.rowCount,
    truncated: result.truncated,
    durationMs: result.durationMs,
  });
  return json(200, result);
};
