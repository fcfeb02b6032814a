/** The model's database tools against a real PostgreSQL database. */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { schemaContextFrom } from '../../lib/model/schema.js';
import { prepareRanking } from '../../lib/model/schema/rank.js';
import { buildSchemaIndex } from '../../lib/model/schema/relations.js';
import { createDatabaseTools, MODEL_ROW_LIMIT, ROWS_SHOWN_BYTES } from '../../lib/model/tools.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { col, rel, schemaInfo } from '../support/schema-info.js';

let db: TestDatabase;
let conn: ConnectionConfig;

beforeAll(async () => {
  db = await createTestDatabase('model_tools');
  await db.query(`CREATE TABLE notes (id int PRIMARY KEY, body text)`);
  await db.query(`INSERT INTO notes SELECT g, repeat('x', 2000) FROM generate_series(1, 20) g`);
  conn = parsePostgresUrl(await db.readerUrl(), 'disable');
});
afterAll(async () => {
  await db?.drop();
});

function recorder() {
  const events: { event: string; data: any }[] = [];
  return { events, emit: async (event: string, data: unknown) => void events.push({ event, data }) };
}
const live = () => new AbortController().signal;

describe('run_sql', () => {
  it('caps rows for the model, keeps a small preview, and emits query then rows', async () => {
    const tools = createDatabaseTools({ conn });
    const rec = recorder();
    const out = await tools.run(
      { name: 'run_sql', args: { sql: 'SELECT g FROM generate_series(1, 100) g' } },
      { signal: live(), emit: rec.emit },
    );
    expect(rec.events.map((e) => e.event)).toEqual(['query', 'rows']);
    expect(rec.events[1]!.data).toMatchObject({ rowCount: MODEL_ROW_LIMIT, truncated: true });
    expect(rec.events[1]!.data.rows).toHaveLength(MODEL_ROW_LIMIT);
    expect(out.response).toMatchObject({
      rowCount: MODEL_ROW_LIMIT,
      truncated: true,
      columns: [{ name: 'g', type: 'integer' }],
    });
    expect((out.response.rows as unknown[]).length).toBe(MODEL_ROW_LIMIT);
    // The client's rows event carries exactly what the model got (and what the reply stores).
    expect(rec.events[1]!.data).toEqual({
      columns: out.response.columns,
      rows: out.response.rows,
      rowCount: out.response.rowCount,
      truncated: out.response.truncated,
      truncatedReason: 'rows',
    });
  });

  it('shows the model and the client only as many wide rows as fit the budget, with a note', async () => {
    const rec = recorder();
    const out = await createDatabaseTools({ conn }).run(
      { name: 'run_sql', args: { sql: 'SELECT * FROM notes ORDER BY id' } },
      { signal: live(), emit: rec.emit },
    );
    const rows = out.response.rows as unknown[][];
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.length).toBeLessThan(20);
    expect(out.response.rowCount).toBe(20);
    expect(String(out.response.note)).toContain(`first ${rows.length} of 20 rows`);
    expect(rec.events[1]!.data.rows).toEqual(rows);
    expect(JSON.stringify(rows).length).toBeLessThanOrEqual(ROWS_SHOWN_BYTES);
  });

  it('reads under SQL_MAX_RESULT_BYTES and says which bound cut the rows; json values are plain', async () => {
    process.env.SQL_MAX_RESULT_BYTES = '5000';
    try {
      const rec = recorder();
      const out = await createDatabaseTools({ conn }).run(
        {
          name: 'run_sql',
          args: { sql: `SELECT id, body, '{"a": [1]}'::jsonb AS j FROM notes ORDER BY id` },
        },
        { signal: live(), emit: rec.emit },
      );
      const rows = rec.events[1]!.data;
      expect(rows).toMatchObject({ rowCount: 2, truncated: true, truncatedReason: 'bytes' });
      expect(rows.rows[0]).toEqual([1, 'x'.repeat(2000), { a: [1] }]);
      expect(out.response).toMatchObject({ truncated: true, truncatedReason: 'bytes' });
    } finally {
      delete process.env.SQL_MAX_RESULT_BYTES;
    }
  });

  it('returns SQL errors as the result and emits query_error', async () => {
    const rec = recorder();
    const out = await createDatabaseTools({ conn }).run(
      { name: 'run_sql', args: { sql: 'SELECT nope FROM notes' } },
      { signal: live(), emit: rec.emit },
    );
    expect(rec.events.map((e) => e.event)).toEqual(['query', 'query_error']);
    expect(rec.events[1]!.data).toMatchObject({ sql: 'SELECT nope FROM notes', code: 'SqlError' });
    expect(out.response).toEqual({ error: { code: 'SqlError', message: expect.stringContaining('nope') } });
  });

  it('refuses writes and several statements', async () => {
    const tools = createDatabaseTools({ conn });
    const del = await tools.run(
      { name: 'run_sql', args: { sql: 'DELETE FROM notes' } },
      { signal: live(), emit: recorder().emit },
    );
    expect((del.response.error as { code: string }).code).toBe('SqlError');
    const multi = await tools.run(
      { name: 'run_sql', args: { sql: 'SELECT 1; DROP TABLE notes' } },
      { signal: live(), emit: recorder().emit },
    );
    expect(multi.response.error).toMatchObject({ code: 'SqlError' });
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(20);
  });

  it('rejects a call without SQL without running anything', async () => {
    const rec = recorder();
    const out = await createDatabaseTools({ conn }).run(
      { name: 'run_sql', args: {} },
      { signal: live(), emit: rec.emit },
    );
    expect(rec.events).toEqual([]);
    expect(out.response.error).toEqual({
      code: 'IncorrectSignature',
      message: 'run_sql needs a non-empty "sql" string',
    });
  });

  it('emits no query_error for a query stopped by the deadline', async () => {
    const ac = new AbortController();
    ac.abort();
    const rec = recorder();
    const out = await createDatabaseTools({ conn }).run(
      { name: 'run_sql', args: { sql: 'SELECT 1' } },
      { signal: ac.signal, emit: rec.emit },
    );
    expect(rec.events.map((e) => e.event)).toEqual(['query']);
    expect(out.response.error).toEqual({ code: 'Timeout', message: 'The request was cancelled' });
  });
});

describe('describe_table, search_schema and unknown tools', () => {
  const ctx = schemaContextFrom(
    prepareRanking(
      buildSchemaIndex(
        schemaInfo({
          public: [rel('notes', [col('id'), col('body', 'text')]), rel('rental')],
          legacy: [rel('rental', [col('id')], { kind: 'view' })],
        }),
      ),
    ),
  );
  const run = (tools: ReturnType<typeof createDatabaseTools>, name: string, args: Record<string, unknown>) =>
    tools.run({ name, args }, { signal: live(), emit: recorder().emit });

  it('are offered only with a schema context, and answer from it', async () => {
    expect(createDatabaseTools({ conn }).declarations.map((d) => d.name)).toEqual(['run_sql']);
    const tools = createDatabaseTools({ conn, describeTable: ctx.describe, searchSchema: ctx.search });
    expect(tools.declarations.map((d) => d.name)).toEqual(['run_sql', 'describe_table', 'search_schema']);
    expect((await run(tools, 'describe_table', { table: 'notes' })).response).toMatchObject({
      table: { relation: 'public.notes', columns: [{ name: 'id' }, { name: 'body' }] },
    });
    expect((await run(tools, 'describe_table', { schema: 'x', table: 'notes' })).response).toEqual({
      error: 'No table or view named x.notes',
    });
    expect((await run(tools, 'describe_table', {})).response).toEqual({
      error: 'describe_table needs a "table" name',
    });
    expect((await run(tools, 'drop_everything', {})).response.error).toContain('Unknown tool');
  });

  it('describe_table returns the candidates for an ambiguous name', async () => {
    const tools = createDatabaseTools({ conn, describeTable: ctx.describe, searchSchema: ctx.search });
    const out = (await run(tools, 'describe_table', { table: 'rental' })).response;
    expect((out.candidates as { relation: string }[]).map((c) => c.relation)).toEqual([
      'public.rental',
      'legacy.rental',
    ]);
  });

  it('search_schema passes keywords, schema and detail, and checks them', async () => {
    const calls: unknown[] = [];
    const tools = createDatabaseTools({
      conn,
      searchSchema: (args, budget) => (calls.push({ args, budget }), ctx.search(args, budget)),
    });
    const out = await run(tools, 'search_schema', { query: ' rent* ', schema: 'legacy', detail: 'names' });
    expect(out.response).toEqual({ matches: 1, relations: ['legacy.rental'] });
    await run(tools, 'search_schema', { query: 'notes', detail: 'everything' });
    expect(calls).toEqual([
      { args: { query: 'rent*', schema: 'legacy', detail: 'names' }, budget: 12_000 },
      { args: { query: 'notes' }, budget: 12_000 },
    ]);
    expect((await run(tools, 'search_schema', { query: '' })).response).toEqual({
      error: 'search_schema needs a "query"',
    });
  });
});
