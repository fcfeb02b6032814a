/**
 * GET /connectors/{id}/inspect?cursor=&schema= — the schema the connector's role can read, a page at a time.
 * POST /connectors/{id}/query {sql, limit?} — one read-only statement, rows as arrays aligned with columns.
 * Both load `pg`; only these routes import this module.
 */
import * as z from 'zod/mini';
import { config } from '../lib/config.js';
import { parseBody, validate } from '../lib/http/body.js';
import { json, type RouteContext, type RouteHandler } from '../lib/http/types.js';
import { inspectSchema } from '../lib/postgres/inspect.js';
import { MAX_ROW_LIMIT, runReadOnlyQuery } from '../lib/postgres/query.js';
import { getConnectionConfig } from '../lib/store/connectors.js';

export const MAX_SQL_CHARS = 100_000;

const queryBody = z.object({
  sql: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(MAX_SQL_CHARS)),
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_ROW_LIMIT))),
});

/** The statement must end before the function does: leave time to write the response. */
function statementTimeout(ctx: RouteContext): number {
  return Math.max(1_000, Math.min(config.statementTimeoutMs, ctx.remainingMs() - 3_000));
}

const inspectQuery = z.object({
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2_000))),
  schema: z.optional(z.string().check(z.minLength(1), z.maxLength(63))),
});

export const inspectConnector: RouteHandler = async (ctx) => {
  const { cursor, schema } = validate(ctx.query, inspectQuery, 'query');
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const info = await inspectSchema(conn, {
    cursor,
    schema,
    signal: ctx.signal,
    statementTimeoutMs: statementTimeout(ctx),
  });
  return json(200, info);
};

export const queryConnector: RouteHandler = async (ctx) => {
  const { sql, limit } = parseBody(ctx, queryBody);
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const result = await runReadOnlyQuery(conn, sql, {
    limit,
    timeoutMs: statementTimeout(ctx),
    signal: ctx.signal,
  });
  ctx.log.info('sql query', {
    rowCount: result.rowCount,
    truncated: result.truncated,
    durationMs: result.durationMs,
  });
  return json(200, result);
};
