/**
 * The tools the model may call on the connector's database: `run_sql` (through runReadOnlyQuery and all its
 * safety layers, with a small row cap), and `describe_table` and `search_schema` (from the schema index,
 * lib/model/schema.ts). SQL failures go back to the model as the tool's result, so it can correct its query;
 * the client sees them as `query_error`. Every result the model receives is bounded by MODEL_ROWS_BUDGET.
 */
import type { FunctionCall, FunctionDeclaration } from '@google/genai';
import { AppError } from '../errors.js';
import { runReadOnlyQuery } from '../postgres/query.js';
import { plainValue } from '../postgres/values.js';
import type { ConnectionConfig, QueryRecord } from '../types.js';
import type { ToolExecutor, ToolOutcome } from './agent.js';

/** Rows the model gets from one query (the client's `rows` event carries the same rows). */
export const MODEL_ROW_LIMIT = 50;
/** Bytes of rows (their JSON) sent back to the model from one query; later rows are dropped with a note. */
const MODEL_ROWS_BUDGET = 12_000;
/** Rows kept with the stored reply, and their byte budget (DynamoDB items stop at 400 KB). */
const PREVIEW_ROWS = 10;
const PREVIEW_BUDGET = 4_000;
/** Longest SQL the model may send. */
const MAX_SQL_CHARS = 20_000;

export const RUN_SQL: FunctionDeclaration = {
  name: 'run_sql',
  description:
    'Runs one read-only SQL statement (PostgreSQL) on the user database and returns the columns and at most ' +
    `${MODEL_ROW_LIMIT} rows. Writes are refused. On failure the result has an "error" with the database message.`,
  parametersJsonSchema: {
    type: 'object',
    properties: { sql: { type: 'string', description: 'A single SELECT (or WITH ... SELECT) statement.' } },
    required: ['sql'],
  },
};

export const DESCRIBE_TABLE: FunctionDeclaration = {
  name: 'describe_table',
  description:
    'Returns all columns (name, type, nullability, default, allowed values, comment), keys, the tables ' +
    'referencing it, and indexes of one table or view. When several schemas have a relation of that name ' +
    'and no schema is given, returns the candidates instead: call again with the schema.',
  parametersJsonSchema: {
    type: 'object',
    properties: {
      schema: { type: 'string', description: 'Schema name; omit to search every schema.' },
      table: { type: 'string', description: 'Table or view name (or schema.table).' },
    },
    required: ['table'],
  },
};

export const SEARCH_SCHEMA: FunctionDeclaration = {
  name: 'search_schema',
  description:
    'Finds tables and views of the database that are not in the schema you were given: by keywords (ranked ' +
    'by relevance, e.g. "invoice payments") or by a name pattern with % wildcards (e.g. "%invoice%", matched ' +
    'against relation and column names). Returns names, a summary (columns and types) or full lines.',
  parametersJsonSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'Keywords, or a pattern with % wildcards.' },
      schema: { type: 'string', description: 'Only this schema; omit to search every schema.' },
      detail: {
        type: 'string',
        enum: ['names', 'summary', 'full'],
        description: 'names: qualified names only; summary (default): columns and types; full: keys too.',
      },
    },
    required: ['query'],
  },
};

const DETAILS = ['names', 'summary', 'full'] as const;

export interface DatabaseToolsOptions {
  conn: ConnectionConfig;
  /** describe_table (SchemaContext.describe): `{table}`, or `{error, candidates?}`; within `budget` chars. */
  describeTable?: (schema: string | undefined, table: string, budget: number) => Record<string, unknown>;
  /** search_schema (SchemaContext.search), within `budget` chars. */
  searchSchema?: (
    args: { query: string; schema?: string; detail?: (typeof DETAILS)[number] },
    budget: number,
  ) => Record<string, unknown>;
  rowLimit?: number;
}

/** Keeps leading rows while their JSON stays within `budget` bytes. */
function rowsWithin(rows: unknown[][], max: number, budget: number): unknown[][] {
  const kept: unknown[][] = [];
  let used = 0;
  for (const row of rows.slice(0, max)) {
    const size = Buffer.byteLength(JSON.stringify(row));
    if (used + size > budget && kept.length > 0) break;
    if (size > budget) {
      // One huge row: keep it with long values cut, so the model still sees its shape.
      kept.push(row.map((v) => (typeof v === 'string' && v.length > 500 ? v.slice(0, 500) + '…' : v)));
      break;
    }
    kept.push(row);
    used += size;
  }
  return kept;
}

function publicError(err: unknown): { code: string; message: string } {
  if (err instanceof AppError && err.code !== 'Internal') return { code: err.code, message: err.message };
  return { code: 'Internal', message: 'The query failed' };
}

export function createDatabaseTools(opts: DatabaseToolsOptions): ToolExecutor {
  const rowLimit = opts.rowLimit ?? MODEL_ROW_LIMIT;
  const declarations = [
    RUN_SQL,
    ...(opts.describeTable ? [DESCRIBE_TABLE] : []),
    ...(opts.searchSchema ? [SEARCH_SCHEMA] : []),
  ];

  async function runSql(
    call: FunctionCall,
    signal: AbortSignal,
    emit: (e: string, d: unknown) => Promise<void>,
  ): Promise<ToolOutcome> {
    const raw = call.args?.sql;
    const sql = typeof raw === 'string' ? raw.trim() : '';
    if (!sql || sql.length > MAX_SQL_CHARS) {
      const error = {
        code: 'IncorrectSignature',
        message: sql ? 'The SQL is too long' : 'run_sql needs a non-empty "sql" string',
      };
      return { response: { error } };
    }
    await emit('query', { sql });
    try {
      // Bounded like a /query reply (SQL_MAX_RESULT_BYTES, SQL_MAX_ROW_BYTES). Events, the model and the stored
      // preview take plain data: json values parsed.
      const result = await runReadOnlyQuery(opts.conn, sql, { limit: rowLimit, signal });
      const rows = result.rows.map((row) => row.map(plainValue));
      const columns = result.columns.map((c) => c.name);
      await emit('rows', {
        columns: result.columns,
        rows,
        rowCount: result.rowCount,
        truncated: result.truncated,
        truncatedReason: result.truncatedReason,
      });
      const forModel = rowsWithin(rows, rowLimit, MODEL_ROWS_BUDGET);
      return {
        response: {
          columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
          rows: forModel,
          rowCount: result.rowCount,
          truncated: result.truncated,
          truncatedReason: result.truncatedReason,
          ...(forModel.length < rows.length
            ? {
                note: `Only the first ${forModel.length} rows are shown to save space; use aggregates or a smaller LIMIT.`,
              }
            : {}),
        },
        query: {
          sql,
          rowCount: result.rowCount,
          truncated: result.truncated,
          columns,
          preview: rowsWithin(rows, PREVIEW_ROWS, PREVIEW_BUDGET),
        },
      };
    } catch (err) {
      const error = publicError(err);
      if (!signal.aborted) await emit('query_error', { sql, ...error });
      const query: QueryRecord = { sql, error };
      return { response: { error }, query };
    }
  }

  return {
    declarations,
    async run(call, { signal, emit }) {
      if (call.name === 'run_sql') return runSql(call, signal, emit);
      const text = (name: string) => {
        const v = call.args?.[name];
        return typeof v === 'string' && v.trim() ? v.trim() : undefined;
      };
      if (call.name === 'describe_table' && opts.describeTable) {
        const table = text('table');
        if (!table) return { response: { error: 'describe_table needs a "table" name' } };
        return { response: opts.describeTable(text('schema'), table, MODEL_ROWS_BUDGET) };
      }
      if (call.name === 'search_schema' && opts.searchSchema) {
        const query = text('query');
        if (!query) return { response: { error: 'search_schema needs a "query"' } };
        const detail = DETAILS.find((d) => d === text('detail'));
        const schema = text('schema');
        const args = { query, ...(schema ? { schema } : {}), ...(detail ? { detail } : {}) };
        return { response: opts.searchSchema(args, MODEL_ROWS_BUDGET) };
      }
      return { response: { error: `Unknown tool ${String(call.name)}` } };
    },
  };
}
