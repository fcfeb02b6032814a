/**
 * GET /connectors/{id}/inspect — the schema the connector's role can read.
 * POST /connectors/{id}/query {sql, limit?} — one read-only statement, rows as arrays aligned with columns.
 * Both load `pg`; only these routes import this module.
 */
import * as z from 'zod/mini';
import { config } from '../lib/config.js';
import { parseBody } from '../lib/http/body.js';
import { text } from '../lib/http/validators.js';
import { json, type RouteContext, type RouteHandler } from '../lib/http/types.js';
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

export const inspectConnector: RouteHandler = async (ctx) => {
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const schema = await inspectSchema(conn, {
    signal: ctx.signal,
    statementTimeoutMs: statementTimeout(ctx),
    allowPrivileged: config.connectorAllowPrivilegedRoles,
  });
  return json(200, schema);
};

export const queryConnector: RouteHandler = async (ctx) => {
  const { sql, limit } = parseBody(ctx, queryBody);
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const result = await runReadOnlyQuery(conn, sql, {
    limit,
    timeoutMs: statementTimeout(ctx),
    signal: ctx.signal,
    allowPrivileged: config.connectorAllowPrivilegedRoles,
  });
  ctx.log.info('sql query', {
    rowCount: result.rowCount,
    truncated: result.truncated,
    durationMs: result.durationMs,
  });
  return json(200, result);
};
