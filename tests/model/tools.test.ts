/** The model's database tools against a real PostgreSQL database. */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { createDatabaseTools, MODEL_ROW_LIMIT, ROWS_SHOWN_BYTES } from '../../lib/model/tools.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

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
    expect(multi.response.error).toBeDefined();
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
    expect(out.response.error).toBeDefined();
  });
});

describe('describe_table and unknown tools', () => {
  const describeTable = (schema: string | undefined, table: string) =>
    table === 'notes' && (schema === undefined || schema === 'public')
      ? { schema: 'public', name: 'notes', columns: [] }
      : undefined;

  it('is offered only with a schema, and answers from it', async () => {
    expect(createDatabaseTools({ conn }).declarations.map((d) => d.name)).toEqual(['run_sql']);
    const tools = createDatabaseTools({ conn, describeTable });
    expect(tools.declarations.map((d) => d.name)).toEqual(['run_sql', 'describe_table']);
    const ok = await tools.run(
      { name: 'describe_table', args: { table: 'notes' } },
      { signal: live(), emit: recorder().emit },
    );
    expect(ok.response).toEqual({ table: { schema: 'public', name: 'notes', columns: [] } });
    const missing = await tools.run(
      { name: 'describe_table', args: { schema: 'x', table: 'notes' } },
      { signal: live(), emit: recorder().emit },
    );
    expect(missing.response.error).toBe('No table or view named x.notes');
    const unknown = await tools.run(
      { name: 'drop_everything', args: {} },
      { signal: live(), emit: recorder().emit },
    );
    expect(unknown.response.error).toContain('Unknown tool');
  });
});
