/**
 * GET /connectors/{id}/inspect?cursor=&schema= — the schema the connector's role can read, a page at a time.
 * POST /connectors/{id}/query {sql, limit?, maxBytes?, format?} — one read-only statement: a JSON reply (rows as
 * arrays aligned with columns, bounded in rows and bytes), or with `Accept: text/csv` / `application/x-ndjson`
 * (or `format`) an export of the whole result. Every reply is written as the rows are read.
 * Both load `pg`; only these routes import this module. Each is a SQL request of the user's per-minute limit
 * and runs in one of the connector's slots for as long as its session lasts (lib/limits/sql.ts).
 */
import * as z from 'zod/mini';
import { config } from '../lib/config.js';
import { parseBody, validate } from '../lib/http/body.js';
import { text } from '../lib/http/validators.js';
import { json, streamBody, type Reply, type RouteContext, type RouteHandler } from '../lib/http/types.js';
import { countedSqlSession, takeSqlSlot, withSqlSlot } from '../lib/limits/sql.js';
import { badRequest } from '../lib/errors.js';
import { inspectSchema } from '../lib/postgres/inspect.js';
import {
  clampLimit,
  clampMaxBytes,
  MAX_RESULT_BYTES_LIMIT,
  MAX_ROW_LIMIT,
  withQueryRows,
} from '../lib/postgres/query.js';
import { writeExport, writeJsonResult, type ExportFormat } from '../lib/postgres/result-stream.js';
import { MAX_SQL_CHARS } from '../lib/postgres/sql-limits.js';
import { getConnectionConfig } from '../lib/store/connectors.js';

const queryBody = z.strictObject({
  sql: text(MAX_SQL_CHARS),
  /** Rows: 1–10,000 in a JSON reply; up to CSV_MAX_ROWS in an export. */
  limit: z.optional(z.int().check(z.minimum(1))),
  maxBytes: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_RESULT_BYTES_LIMIT))),
  format: z.optional(z.enum(['json', 'csv', 'ndjson'])),
});

const inspectQuery = z.object({
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2_000))),
  schema: z.optional(z.string().check(z.minLength(1), z.maxLength(63))),
});

/** The statement must end before the function does: leave time to write the response. */
function timeLeft(ctx: RouteContext, limitMs: number): number {
  return Math.max(1_000, Math.min(limitMs, ctx.remainingMs() - 3_000));
}

/** The first media type of `Accept` this route can answer with (JSON when none is named). */
function acceptedFormat(accept: string | undefined): 'json' | ExportFormat {
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0]!.trim().toLowerCase();
    if (type === 'text/csv') return 'csv';
    if (type === 'application/x-ndjson') return 'ndjson';
    if (type === 'application/json') return 'json';
  }
  return 'json';
}

const EXPORT_HEADERS: Record<ExportFormat, Record<string, string>> = {
  csv: {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': 'attachment; filename="query.csv"',
  },
  ndjson: { 'content-type': 'application/x-ndjson' },
};

/** The reply, holding one of the connector's slots (taken now: 429 at the line) until its body is written. */
async function inSlot(ctx: RouteContext, statementTimeoutMs: number, reply: Reply): Promise<Reply> {
  const slot = await takeSqlSlot(await countedSqlSession(ctx, ctx.params.id ?? '', statementTimeoutMs));
  return slot.during(reply);
}

export const inspectConnector: RouteHandler = async (ctx) => {
  const { cursor, schema } = validate(ctx.query, inspectQuery, 'query');
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const statementTimeoutMs = timeLeft(ctx, config.statementTimeoutMs);
  const info = await withSqlSlot(await countedSqlSession(ctx, ctx.params.id ?? '', statementTimeoutMs), () =>
    inspectSchema(conn, {
      cursor,
      schema,
      signal: ctx.signal,
      statementTimeoutMs,
      allowPrivileged: config.connectorAllowPrivilegedRoles,
    }),
  );
  return json(200, info);
};

export const queryConnector: RouteHandler = async (ctx) => {
  const body = parseBody(ctx, queryBody);
  const format = body.format ?? acceptedFormat(ctx.headers.accept);
  const maxLimit = format === 'json' ? MAX_ROW_LIMIT : config.csvMaxRows;
  if (body.limit !== undefined && body.limit > maxLimit) {
    throw badRequest(`Invalid body field "limit": at most ${maxLimit} rows in ${format}`, { field: 'limit' });
  }
  const conn = await getConnectionConfig(ctx.user.uid, ctx.params.id ?? '');
  const sql = body.sql;

  if (format === 'json') {
    const limit = clampLimit(body.limit);
    const bounds = { limit, maxBytes: clampMaxBytes(body.maxBytes) };
    const options = {
      timeoutMs: timeLeft(ctx, config.statementTimeoutMs),
      signal: ctx.signal,
      allowPrivileged: config.connectorAllowPrivilegedRoles,
      maxRows: limit + 1,
    };
    const reply = streamBody(200, { 'content-type': 'application/json; charset=utf-8' }, async (out) => {
      const result = await withQueryRows(conn, sql, options, (rows) => writeJsonResult(rows, out, bounds));
      ctx.log.info('sql query', { format, ...result });
    });
    return inSlot(ctx, options.timeoutMs, reply);
  }

  const maxRows = body.limit ?? config.csvMaxRows;
  const options = {
    timeoutMs: timeLeft(ctx, config.sqlExportTimeoutMs),
    signal: ctx.signal,
    allowPrivileged: config.connectorAllowPrivilegedRoles,
    maxRows: maxRows + 1,
  };
  const reply = streamBody(200, EXPORT_HEADERS[format], async (out) => {
    const result = await withQueryRows(conn, sql, options, (rows) => writeExport(rows, out, format, maxRows));
    ctx.log.info('sql export', { format, ...result });
  });
  return inSlot(ctx, options.timeoutMs, reply);
};
