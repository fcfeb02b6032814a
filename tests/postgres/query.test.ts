import { statusOf } from '../../lib/http/errors.js';
import pg from 'pg';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { explainQuery } from '../../lib/postgres/explain.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import { plainValue, RawJson } from '../../lib/postgres/values.js';
import { valueJson } from '../../lib/postgres/value-text.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { rejectionOf as failure } from '../support/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
let conn: ConnectionConfig;

beforeAll(async () => {
  db = await createTestDatabase('query');
  conn = parsePostgresUrl(await db.readerUrl(), 'disable');
  await db.query(`
    CREATE TABLE t (id int PRIMARY KEY, label text NOT NULL);
    INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 5) g;
    CREATE SEQUENCE s;
  `);
});

afterAll(async () => {
  await db?.drop();
});

const rowsOfT = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n;

describe('results', () => {
  it('returns columns with type names and rows as arrays', async () => {
    const r = await runReadOnlyQuery(conn, 'SELECT id, label FROM t ORDER BY id LIMIT 2');
    expect(r.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'label', type: 'text' },
    ]);
    expect(r.rows).toEqual([
      [1, 'row 1'],
      [2, 'row 2'],
    ]);
    expect(r.rowCount).toBe(2);
    expect(r.truncated).toBe(false);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps duplicate column names', async () => {
    const r = await runReadOnlyQuery(conn, 'SELECT 1 AS a, 2 AS a, t.id, t.id FROM t WHERE id = 3');
    expect(r.columns.map((c) => c.name)).toEqual(['a', 'a', 'id', 'id']);
    expect(r.rows).toEqual([[1, 2, 3, 3]]);
  });

  it('makes values JSON-safe and exact', async () => {
    const r = await runReadOnlyQuery(
      conn,
      `SELECT 9007199254740993::bigint AS big, 12345.678901234567890::numeric(30,15) AS num, '\\x00ff10'::bytea AS bin,
              DATE '2024-02-29' AS d, TIMESTAMP '2024-02-29 13:14:15.123456' AS ts,
              TIMESTAMPTZ '2024-02-29 13:14:15.5+00' AS tstz, INTERVAL '1 day 02:00' AS iv,
              '{"a":[1,2]}'::jsonb AS j, 'NaN'::float8 AS nan, ARRAY[1,2,NULL] AS arr, NULL::text AS nothing,
              'abc'::varchar(10) AS vc, true AS yes, 'x'::char(3) AS ch`,
    );
    const row = Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0]![i]]));
    expect(row).toEqual({
      big: '9007199254740993',
      num: '12345.678901234567890',
      bin: '\\x00ff10',
      d: '2024-02-29',
      ts: '2024-02-29T13:14:15.123456',
      tstz: expect.stringMatching(/^2024-02-29T\d\d:\d\d:15\.5(Z|[+-]\d\d:\d\d)$/),
      iv: '1 day 02:00:00',
      j: new RawJson('{"a": [1, 2]}'), // the server's own text, embedded as is
      nan: 'NaN',
      arr: [1, 2, null],
      nothing: null,
      vc: 'abc',
      yes: true,
      ch: 'x  ',
    });
    expect(new Date(row.tstz as string).toISOString()).toBe('2024-02-29T13:14:15.500Z');
    const types = Object.fromEntries(r.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      big: 'bigint',
      num: 'numeric(30,15)',
      vc: 'character varying(10)',
      ch: 'character(3)',
      arr: 'integer[]',
      tstz: 'timestamp with time zone',
    });
  });

  it('resolves user-defined types by name', async () => {
    await db.query(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`);
    const r = await runReadOnlyQuery(conn, `SELECT 'ok'::mood AS m`);
    expect(r.columns).toEqual([{ name: 'm', type: 'mood' }]);
    expect(r.rows).toEqual([['ok']]);
  });

  it('caps rows at the limit and says so; an exact fit is not truncated', async () => {
    const capped = await runReadOnlyQuery(conn, 'SELECT g FROM generate_series(1, 50) g', { limit: 10 });
    expect(capped.rowCount).toBe(10);
    expect(capped.rows).toHaveLength(10);
    expect(capped.truncated).toBe(true);
    const exact = await runReadOnlyQuery(conn, 'SELECT g FROM generate_series(1, 10) g', { limit: 10 });
    expect(exact.truncated).toBe(false);
    const dflt = await runReadOnlyQuery(conn, 'SELECT g FROM generate_series(1, 1500) g');
    expect(dflt.rowCount).toBe(1000);
    expect(dflt.truncated).toBe(true);
    const max = await runReadOnlyQuery(conn, 'SELECT g FROM generate_series(1, 20000) g', { limit: 50_000 });
    expect(max.rowCount).toBe(10_000);
  });

  it('reads only limit+1 rows of a hundred-million-row result (cursor, bounded memory)', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const r = await runReadOnlyQuery(conn, 'SELECT generate_series(1, 100000000) AS n', { limit: 10_000 });
    const ms = Date.now() - started;
    expect(r.rowCount).toBe(10_000);
    expect(r.truncated).toBe(true);
    expect(r.rows[9_999]).toEqual([10_000]);
    console.log(
      `generate_series(1, 1e8) capped at 10,000 rows in ${ms} ms, heap +${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB`,
    );
  });

  it('stops at the byte budget and says so (truncatedReason "bytes"), with rows "rows"', async () => {
    const sql = `SELECT g, repeat(md5(g::text), 320) AS doc FROM generate_series(1, 10000) g`; // ~10 KB rows
    const r = await runReadOnlyQuery(conn, sql, { limit: 10_000, maxBytes: 100_000 });
    expect(r).toMatchObject({ truncated: true, truncatedReason: 'bytes' });
    const sizes = r.rows.map((row) => Buffer.byteLength(valueJson(row)));
    const used = sizes.reduce((a, b) => a + b, 0) + sizes.length - 1;
    expect(used).toBeLessThanOrEqual(100_000);
    expect(used + 1 + sizes[0]!).toBeGreaterThan(100_000); // the next row would not have fit
    expect(r.rowCount).toBe(r.rows.length);
    const dflt = await runReadOnlyQuery(conn, sql, { limit: 10_000 });
    expect(dflt.truncatedReason).toBe('bytes');
    expect(JSON.stringify(plainValue(dflt.rows)).length).toBeLessThanOrEqual(8 * 1024 * 1024);
    const byRows = await runReadOnlyQuery(conn, sql, { limit: 5 });
    expect(byRows).toMatchObject({ rowCount: 5, truncated: true, truncatedReason: 'rows' });
    const first = await runReadOnlyQuery(conn, sql, { maxBytes: 1_000 });
    expect(first).toMatchObject({ rowCount: 0, rows: [], truncated: true, truncatedReason: 'bytes' });
  });

  it('refuses a row over the row cap before buffering it: 400 naming the cap', async () => {
    const err = await failure(
      runReadOnlyQuery(conn, `SELECT repeat('x', 2000000) AS big`, { maxMessageBytes: 1024 * 1024 }),
    );
    expect(err.code).toBe('SqlError');
    expect(statusOf(err)).toBe(400);
    expect(err.message).toMatch(/larger than the 1048576-byte limit for one row \(SQL_MAX_ROW_BYTES\)/);
  });

  it('ends a result at a row over the cap once rows were read (cut for size), and the next query works', async () => {
    const r = await runReadOnlyQuery(
      conn,
      `SELECT g, CASE WHEN g = 150 THEN repeat('x', 2000000) ELSE 'a' END AS v FROM generate_series(1, 200) g`,
      { maxMessageBytes: 1024 * 1024 },
    );
    // The first batch (100 rows) is complete; rows that shared a socket read with the big row's header are
    // dropped with it (the wire guard hands on nothing from a chunk it refuses).
    expect(r).toMatchObject({ truncated: true, truncatedReason: 'bytes' });
    expect(r.rowCount).toBeGreaterThanOrEqual(100);
    expect(r.rowCount).toBeLessThanOrEqual(149);
    expect(r.rows.map((row) => row[0])).toEqual(Array.from({ length: r.rowCount }, (_, i) => i + 1));
    expect((await runReadOnlyQuery(conn, 'SELECT 1 AS ok')).rows).toEqual([[1]]);
  });

  it('an error in the first rows is the answer, not a cut result', async () => {
    const err = await failure(runReadOnlyQuery(conn, 'SELECT 1 / (g - 50) FROM generate_series(1, 100) g'));
    expect(err.details).toMatchObject({ pgCode: '22012' });
  });

  it('returns no columns for a statement without a result set', async () => {
    const r = await runReadOnlyQuery(conn, 'SELECT FROM t WHERE false');
    expect(r).toMatchObject({ columns: [], rows: [], rowCount: 0, truncated: false });
  });
});

describe('writes are refused and nothing changes', () => {
  it.each([
    ['INSERT INTO t VALUES (100, $$x$$)'],
    ['UPDATE t SET label = $$y$$'],
    ['DELETE FROM t'],
    ['CREATE TABLE t2 (x int)'],
    ['DROP TABLE t'],
    ['TRUNCATE t'],
    ['ALTER TABLE t ADD COLUMN z int'],
    ["SELECT nextval('s')"],
    ["SELECT setval('s', 42)"],
    ['COPY t FROM STDIN'],
    ["COPY (SELECT 1) TO PROGRAM 'true'"],
    ['  /* sneaky */ copy t to stdout'],
    ["DO $$ BEGIN EXECUTE 'DELETE FROM t'; END $$"],
    ['WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone'],
    ['SELECT 1; DROP TABLE t'],
    ['SELECT 1; COMMIT; DROP TABLE t'],
    ['COMMIT; DROP TABLE t'],
    ['GRANT SELECT ON t TO PUBLIC'],
    ['SELECT * FROM t FOR UPDATE'],
    ['SET LOCAL work_mem = 1024'],
  ])('%s → 400', async (sql) => {
    const err = await failure(runReadOnlyQuery(conn, sql));
    expect(err.code).toBe('SqlError');
    expect(statusOf(err)).toBe(400);
  });

  it('leaves the table, its rows and the sequence intact', async () => {
    expect(await rowsOfT()).toBe(5);
    const seq = await db.query<{ last_value: string; is_called: boolean }>(
      'SELECT last_value, is_called FROM s',
    );
    expect(seq.rows[0]).toEqual({ last_value: '1', is_called: false });
    const cols = await db.query(
      `SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'z'`,
    );
    expect(cols.rowCount).toBe(0);
  });

  it('names the reason for a multi-statement refusal', async () => {
    const err = await failure(runReadOnlyQuery(conn, 'SELECT 1; SELECT 2'));
    expect(err.message).toMatch(/one SQL statement/);
  });
});

describe('errors say what happened', () => {
  it('an SQL error carries the PostgreSQL code and position', async () => {
    const err = await failure(runReadOnlyQuery(conn, 'SELECT nosuchcolumn FROM t'));
    expect(err.code).toBe('SqlError');
    expect(err.message).toMatch(/nosuchcolumn/);
    expect(err.details).toMatchObject({ pgCode: '42703', position: 8 });
  });

  it('a syntax error carries the position', async () => {
    const err = await failure(runReadOnlyQuery(conn, 'SELEC 1'));
    expect(err.details).toMatchObject({ pgCode: '42601', position: 1 });
  });

  it('placeholders are a 400 that says parameters are not supported (not a dead session)', async () => {
    for (const sql of ['SELECT * FROM t WHERE id = $1', 'SELECT $1', 'SELECT $1::int + $2::int']) {
      const err = await failure(runReadOnlyQuery(conn, sql));
      expect(err.code).toBe('SqlError');
      expect(statusOf(err)).toBe(400);
      expect(err.message).toMatch(/^Parameters .* not supported/);
    }
  });

  it('empty SQL is refused', async () => {
    const err = await failure(runReadOnlyQuery(conn, '  -- just a comment\n'));
    expect(err.code).toBe('SqlError');
  });
});

describe('timeouts and session state', () => {
  it('cancels a query past the statement timeout, and the next query works', async () => {
    const err = await failure(runReadOnlyQuery(conn, 'SELECT pg_sleep(20)', { timeoutMs: 500 }));
    expect(err.code).toBe('QueryTimeout');
    expect(statusOf(err)).toBe(504);
    expect(err.message).toBe('The query was cancelled after 0.5 s (statement timeout)');
    const next = await runReadOnlyQuery(conn, 'SELECT 1 AS ok');
    expect(next.rows).toEqual([[1]]);
  });

  it('stops waiting when the caller aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await failure(runReadOnlyQuery(conn, 'SELECT pg_sleep(20)', { signal: ac.signal }));
    // The server-side session is gone too (no backend left running the sleep).
    await new Promise((r) => setTimeout(r, 300));
    const left = await db.query(
      `SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)' AND state = 'active'`,
    );
    expect(left.rowCount).toBe(0);
  });

  it('set_config is refused (it would change the session), and settings never carry over', async () => {
    const err = await failure(
      runReadOnlyQuery(conn, "SELECT set_config('search_path', 'pg_catalog', false) AS v"),
    );
    expect(err.code).toBe('SqlError');
    expect(err.details).toEqual({ function: 'set_config' });
    const next = await runReadOnlyQuery(conn, "SELECT current_setting('search_path') AS v");
    expect(next.rows[0]![0]).not.toBe('pg_catalog');
  });

  it('PostgreSQL rolls back a session-level set_config with the transaction (checked on one connection)', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query("SELECT set_config('application_name', 'poisoned', false)");
      await client.query('ROLLBACK');
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('application_name') AS v");
      expect(rows[0]!.v).not.toBe('poisoned');
    } finally {
      await client.end();
    }
  });

  it('does not leave connections behind', async () => {
    await runReadOnlyQuery(conn, 'SELECT 1');
    await failure(runReadOnlyQuery(conn, 'SELECT 1/0'));
    await new Promise((r) => setTimeout(r, 200));
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'semaia'`,
    );
    expect(rows[0]!.n).toBe(0);
  });
});

describe('explain', () => {
  it('returns the JSON plan without running the statement', async () => {
    const plan = (await explainQuery(conn, 'SELECT * FROM t WHERE id = 1')) as {
      Plan: { 'Node Type': string };
    }[];
    expect(Array.isArray(plan)).toBe(true);
    expect(plan[0]!.Plan['Node Type']).toEqual(expect.any(String));
    // Only a SELECT is explained: a write is refused before it is even planned.
    expect((await failure(explainQuery(conn, 'DELETE FROM t'))).details).toEqual({ statement: 'DELETE' });
    expect(await rowsOfT()).toBe(5);
  });

  it("gives error positions in the user's SQL, not in the EXPLAIN it is wrapped in", async () => {
    const err = await failure(explainQuery(conn, 'SELECT nosuchcolumn FROM t'));
    expect(err.details).toMatchObject({ pgCode: '42703', position: 8 });
    const syntax = await failure(explainQuery(conn, 'SELECT 1 FROM'));
    expect(syntax.details).toMatchObject({ pgCode: '42601', position: 14 });
  });

  it('refuses placeholders: 400, parameters are not supported', async () => {
    const err = await failure(explainQuery(conn, 'SELECT * FROM t WHERE id = $1'));
    expect(err.code).toBe('SqlError');
    expect(err.message).toMatch(/^Parameters .* not supported/);
  });

  it('refuses a second statement and EXPLAIN ANALYZE smuggling', async () => {
    expect((await failure(explainQuery(conn, 'SELECT 1; DROP TABLE t'))).code).toBe('SqlError');
    expect((await failure(explainQuery(conn, 'ANALYZE SELECT 1'))).code).toBe('SqlError');
    expect((await failure(explainQuery(conn, 'EXPLAIN ANALYZE DELETE FROM t'))).code).toBe('SqlError');
    expect(await rowsOfT()).toBe(5);
  });
});
