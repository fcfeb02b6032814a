/**
 * "One statement only" on generated input. The check is the server's (the extended protocol refuses a
 * second statement), so it is tested against the real test database: generated `SELECT …; <write>` strings
 * with assorted separators and comments must fail with SqlError, and the table they try to change must be
 * unchanged afterwards. A bounded number of runs (each opens a connection). The pure lexical pre-check is
 * tested on arbitrary strings too.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import fc from 'fast-check';
import { AppError } from '../../lib/errors.js';
import { checkStatement } from '../../lib/postgres/statement.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { nastyString } from './arbitraries.js';

const firsts = fc.oneof(
  fc.integer().map((n) => `SELECT ${n}`),
  fc.constantFrom(
    'SELECT 1',
    "SELECT 'a;b'",
    'SELECT $$;$$',
    'SELECT count(*) FROM victim',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    '(SELECT 1)',
    'VALUES (1)',
    'SHOW search_path',
    '',
  ),
);
const separators = fc.constantFrom(';', '; ', ';\n', ' ;', ';;', '; -- c\n', ';/* c */', '\n;\n', ';\t');
const writes = fc.constantFrom(
  'INSERT INTO victim VALUES (99)',
  'DELETE FROM victim',
  'UPDATE victim SET v = v + 1',
  'DROP TABLE victim',
  'TRUNCATE victim',
  'COMMIT',
  'COMMIT; DELETE FROM victim',
  'ROLLBACK; INSERT INTO victim VALUES (98)',
  'END; DROP TABLE victim',
  'CREATE TABLE intruder (x int)',
  'ALTER TABLE victim ADD COLUMN w int',
  'SET default_transaction_read_only = off; INSERT INTO victim VALUES (97)',
  "SELECT set_config('search_path', 'evil', false)",
);
const twoStatements = fc
  .tuple(firsts, separators, writes, fc.constantFrom('', ';', '; ', '\n'))
  .map(([a, sep, w, tail]) => `${a}${sep}${w}${tail}`)
  // A bare ";" start makes the first statement empty; every other case has two real statements.
  .filter((sql) => !sql.startsWith(';'));

describe('single statement, against the real test database', () => {
  let db: TestDatabase;
  let conn: ConnectionConfig;

  beforeAll(async () => {
    db = await createTestDatabase('prop_statement');
    await db.query('CREATE TABLE victim (v int)');
    await db.query('INSERT INTO victim VALUES (1), (2), (3)');
    conn = parsePostgresUrl(db.url, 'disable');
  });
  afterAll(() => db?.drop());

  it('never runs two statements: every generated `… ; <write>` fails with SqlError and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(twoStatements, async (sql) => {
        let error: unknown;
        try {
          await runReadOnlyQuery(conn, sql, { timeoutMs: 5_000 });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('SqlError');
        const rows = await db.query<{ v: number }>('SELECT v FROM victim ORDER BY v');
        expect(rows.rows.map((r) => r.v)).toEqual([1, 2, 3]);
      }),
      { numRuns: 60 },
    );
    const intruder = await db.query("SELECT to_regclass('public.intruder') AS t");
    expect(intruder.rows[0].t).toBeNull();
    const columns = await db.query(
      "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'victim'",
    );
    expect(columns.rows[0].n).toBe(1);
  });

  it('the same first statements alone do run (so the refusals come from the second statement)', async () => {
    const singles = firsts.filter((s) => s !== '');
    await fc.assert(
      fc.asyncProperty(singles, fc.constantFrom('', ';', ' ; ', ';\n'), async (sql, tail) => {
        const result = await runReadOnlyQuery(conn, sql + tail, { timeoutMs: 5_000 });
        expect(result.columns.length).toBeGreaterThan(0);
      }),
      { numRuns: 20 },
    );
  });

  it('the lexical pre-check throws nothing but SqlError on arbitrary text', () => {
    fc.assert(
      fc.property(nastyString(120), (sql) => {
        try {
          expect(typeof checkStatement(sql)).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe('SqlError');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
