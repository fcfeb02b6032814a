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
import type { ConnectionConfig, RowsResult } from '../types.js';
import type { ToolExecutor, ToolOutcome } from './agent.js';

/** Rows one query returns to the model. */
export const MODEL_ROW_LIMIT = 50;
/**
 * Bytes (JSON) of rows shown from one query: the model, the client's `rows` event and the stored reply all
 * get the same rows, so a reloaded or resumed chat shows exactly what the live one did. With the reply's
 * own caps (MODEL_MAX_REPLY_CHARS, MAX_MODEL_SQL_CHARS, 5 tool calls) a reply's item stays under
 * DynamoDB's 400 KB (tests/store/messages.test.ts writes one at every cap).
 */
export const ROWS_SHOWN_BYTES = 12_000;
/** Longest SQL the model may send. */
export const MAX_MODEL_SQL_CHARS = 8_000;

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
  /** Runs one query's session (the connector's SQL slots); a refusal reaches the model as the query's error. */
  withSlot?: <T>(work: () => Promise<T>) => Promise<T>;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** A value cut to about `max` characters, so one huge cell cannot fill the budget alone. */
const cutValue = (v: unknown, max: number) =>
  typeof v === 'string' && v.length > max ? v.slice(0, max) + '…' : v;

/**
 * Leading rows while their JSON stays within `budget` bytes. When the first row alone is too large it is
 * kept with its long values cut, so the model still sees its shape; if even that does not fit, no row is kept.
 */
export function rowsWithin(rows: unknown[][], max: number, budget: number): unknown[][] {
  const kept: unknown[][] = [];
  let used = 0;
  for (const row of rows.slice(0, max)) {
    const size = jsonBytes(row);
    if (used + size <= budget) {
      kept.push(row);
      used += size;
      continue;
    }
    if (kept.length === 0) {
      const cut = row.map((v) =>
        cutValue(v, Math.max(16, Math.floor(budget / (4 * Math.max(1, row.length))))),
      );
      if (jsonBytes(cut) <= budget) kept.push(cut);
    }
    break;
  }
  return kept;
}

function publicError(err: unknown): { code: string; message: string } {
  if (err instanceof AppError && err.code !== 'Internal') return { code: err.code, message: err.message };
  return { code: 'Internal', message: 'The query failed' };
}

export function createDatabaseTools(opts: DatabaseToolsOptions): ToolExecutor {
  const rowLimit = opts.rowLimit ?? MODEL_ROW_LIMIT;
  const withSlot = opts.withSlot ?? (<T>(work: () => Promise<T>) => work());
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
    if (!sql || sql.length > MAX_MODEL_SQL_CHARS) {
      const error = {
        code: 'IncorrectSignature',
        message: sql ? 'The SQL is too long' : 'run_sql needs a non-empty "sql" string',
      };
      return { response: { error } };
    }
    await emit('query', { sql });
    try {
      // Never on a privileged role, whatever CONNECTOR_ALLOW_PRIVILEGED_ROLES says: the model reads text users planted.
      const result = await withSlot(() =>
        runReadOnlyQuery(opts.conn, sql, { limit: rowLimit, signal, allowPrivileged: false }),
      );
      // The model, the event and the stored reply take plain data (json values parsed).
      const shown = rowsWithin(
        result.rows.map((row) => row.map(plainValue)),
        rowLimit,
        ROWS_SHOWN_BYTES,
      );
      const rows: RowsResult = {
        columns: result.columns,
        rows: shown,
        rowCount: result.rowCount,
        truncated: result.truncated,
        ...(result.truncatedReason ? { truncatedReason: result.truncatedReason } : {}),
      };
      await emit('rows', rows);
      return {
        response: {
          ...rows,
          ...(shown.length < result.rows.length
            ? {
                note: `Only the first ${shown.length} of ${result.rowCount} rows are shown to save space; use aggregates or a smaller LIMIT.`,
              }
            : {}),
        },
      };
    } catch (err) {
      const error = publicError(err);
      if (!signal.aborted) await emit('query_error', { sql, ...error });
      return { response: { error } };
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
        return { response: opts.describeTable(text('schema'), table, ROWS_SHOWN_BYTES) };
      }
      if (call.name === 'search_schema' && opts.searchSchema) {
        const query = text('query');
        if (!query) return { response: { error: 'search_schema needs a "query"' } };
        const detail = DETAILS.find((d) => d === text('detail'));
        const schema = text('schema');
        const args = { query, ...(schema ? { schema } : {}), ...(detail ? { detail } : {}) };
        return { response: opts.searchSchema(args, ROWS_SHOWN_BYTES) };
      }
      return { response: { error: `Unknown tool ${String(call.name)}` } };
    },
  };
}
