/**
 * The statement classifier on its own (PostgreSQL's parser, no server): what runs, what is refused, and that
 * a refusal names the statement kind or the function. The same cases against a real server are in
 * sql-safety.test.ts; generated variants are in tests/property/statement.test.ts.
 */
import { AppError } from '../../lib/errors.js';
import { DENIED_FUNCTIONS } from '../../lib/postgres/sql-policy.js';
import { checkStatement } from '../../lib/postgres/statement.js';

const refusal = async (sql: string): Promise<AppError> => {
  const err = await checkStatement(sql).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('SqlError');
  return err as AppError;
};

describe('allowed: one SELECT, EXPLAIN of one, or SHOW', () => {
  it.each([
    ['select 1', 'select'],
    ['SELECT * FROM t WHERE a = 1 ORDER BY 2 LIMIT 5;', 'select'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'select'],
    ['WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r', 'select'],
    ['VALUES (1, 2), (3, 4)', 'select'],
    ['TABLE t', 'select'],
    ['(SELECT 1) UNION (SELECT 2) INTERSECT SELECT 3 EXCEPT SELECT 4', 'select'],
    ['EXPLAIN SELECT 1', 'explain'],
    ['EXPLAIN (ANALYZE, FORMAT JSON) WITH x AS (SELECT 1) SELECT * FROM x', 'explain'],
    ['SHOW search_path', 'show'],
    ['SHOW ALL', 'show'],
    // Look like refused statements, but are not.
    ["SELECT 'COPY t TO STDOUT; DO $$ $$'", 'select'],
    ['SELECT $tag$ ; DELETE FROM t $tag$ AS "lock"', 'select'],
    ["SELECT E'\\'; DROP TABLE t; --' AS x", 'select'],
    ['SELECT 1 AS U&"\\0064o" -- ; COPY\n', 'select'],
    ['/* COPY /* nested DO */ still a comment */ SELECT 1', 'select'],
    ["SELECT 'set_config(1)', pg_catalog.now(), my_dblink()", 'select'],
  ])('%j → %s', async (sql, kind) => {
    expect(await checkStatement(sql)).toBe(kind);
  });
});

describe('refused statement kinds, named in the message', () => {
  it.each([
    // The bypass: PostgreSQL ends a -- comment at a carriage return.
    ['--\rCOPY customers TO STDOUT /*\nselect */', 'COPY'],
    ["--\rCOPY (select 1) TO PROGRAM 'id > /tmp/x' /*\n select */", 'COPY'],
    ['--\rDO $$ BEGIN END $$ /*\nselect */', 'DO'],
    ['COPY t FROM STDIN', 'COPY'],
    ['DO $$ BEGIN PERFORM 1; END $$', 'DO'],
    ['CALL p()', 'CALL'],
    ['LOCK TABLE t IN ACCESS EXCLUSIVE MODE', 'LOCK'],
    ['SET search_path = evil', 'SET'],
    ['SET LOCAL statement_timeout = 0', 'SET'],
    ['SET ROLE postgres', 'SET'],
    ['RESET ALL', 'RESET'],
    ['LISTEN c', 'LISTEN'],
    ["NOTIFY c, 'x'", 'NOTIFY'],
    ['UNLISTEN *', 'UNLISTEN'],
    ['PREPARE p AS SELECT 1', 'PREPARE'],
    ['EXECUTE p', 'EXECUTE'],
    ['DEALLOCATE ALL', 'DEALLOCATE'],
    ['DECLARE c CURSOR FOR SELECT 1', 'DECLARE CURSOR'],
    ['FETCH 1 FROM c', 'FETCH'],
    ['CLOSE c', 'CLOSE'],
    ['CHECKPOINT', 'CHECKPOINT'],
    ['VACUUM t', 'VACUUM'],
    ['ANALYZE t', 'ANALYZE'],
    ['BEGIN', 'BEGIN'],
    ['COMMIT', 'COMMIT'],
    ['ROLLBACK', 'ROLLBACK'],
    ['SAVEPOINT s', 'SAVEPOINT'],
    ['INSERT INTO t VALUES (1)', 'INSERT'],
    ['UPDATE t SET a = 1', 'UPDATE'],
    ['DELETE FROM t', 'DELETE'],
    ['MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE', 'MERGE'],
    ['TRUNCATE t', 'TRUNCATE'],
    ['CREATE TABLE x (a int)', 'CREATE TABLE'],
    ['CREATE TABLE x AS SELECT 1', 'CREATE TABLE AS'],
    ['DROP TABLE t', 'DROP'],
    ['ALTER TABLE t ADD COLUMN b int', 'ALTER TABLE'],
    ['GRANT SELECT ON t TO PUBLIC', 'GRANT'],
    ['DISCARD ALL', 'DISCARD'],
    ["LOAD 'x'", 'LOAD'],
    ['REFRESH MATERIALIZED VIEW m', 'REFRESH MATERIALIZED VIEW'],
    ["COMMENT ON TABLE t IS 'x'", 'COMMENT'],
    ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
    ['EXPLAIN ANALYZE DELETE FROM t', 'EXPLAIN of a DELETE'],
    ['EXPLAIN INSERT INTO t VALUES (1)', 'EXPLAIN of an INSERT'],
  ])('%j → %s', async (sql, name) => {
    const err = await refusal(sql);
    expect(err.message.startsWith(`${name} `)).toBe(true);
    expect(err.details).toMatchObject({ statement: name });
  });

  it('SELECT … INTO, row locks anywhere, and data-modifying WITH', async () => {
    expect((await refusal('SELECT 1 INTO newtable')).details).toMatchObject({ statement: 'SELECT … INTO' });
    for (const [sql, clause] of [
      ['SELECT * FROM t FOR UPDATE', 'FOR UPDATE'],
      ['SELECT * FROM t FOR NO KEY UPDATE NOWAIT', 'FOR NO KEY UPDATE'],
      ['SELECT * FROM t FOR SHARE', 'FOR SHARE'],
      ['SELECT * FROM (SELECT * FROM t FOR KEY SHARE) s', 'FOR KEY SHARE'],
      ['WITH x AS (SELECT * FROM t FOR UPDATE SKIP LOCKED) SELECT * FROM x', 'FOR UPDATE'],
    ]) {
      const err = await refusal(sql!);
      expect(err.details).toMatchObject({ statement: `SELECT … ${clause}` });
    }
    for (const [sql, kind] of [
      ['WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone', 'DELETE'],
      ['WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1', 'INSERT'],
      ['WITH a AS (SELECT 1), b AS (UPDATE t SET a = 2 RETURNING a) SELECT * FROM b', 'UPDATE'],
      ['EXPLAIN ANALYZE WITH x AS (DELETE FROM t RETURNING 1) SELECT * FROM x', 'DELETE'],
    ]) {
      const err = await refusal(sql!);
      expect(err.details).toMatchObject({ statement: `WITH … ${kind}` });
    }
  });

  it('exactly one statement', async () => {
    for (const sql of ['SELECT 1; SELECT 2', 'SELECT 1; COMMIT; DROP TABLE t', 'SHOW a;;SHOW b']) {
      expect((await refusal(sql)).message).toBe('Only one SQL statement can be run at a time');
    }
    for (const sql of ['', '   ', '-- just a comment\n', '/* */', ';']) {
      expect((await refusal(sql)).message).toBe('The SQL contains no statement');
    }
    expect((await refusal('SELECT 1\0; DELETE FROM t')).message).toBe('The SQL contains a NUL character');
  });

  it('a syntax error is refused with the parser message and position, like the server would', async () => {
    const err = await refusal('SELEC 1');
    expect(err.message).toBe('syntax error at or near "SELEC"');
    expect(err.details).toEqual({ pgCode: '42601', position: 1 });
    expect((await refusal('SELECT (1')).details).toMatchObject({ pgCode: '42601' });
  });
});

describe('denied functions: one test per entry, unqualified, schema-qualified and nested', () => {
  const cases = DENIED_FUNCTIONS.flatMap((entry) => entry.examples.map((fn) => [entry.name, fn] as const));

  it('every entry has examples, and every example is covered by its own entry', () => {
    for (const entry of DENIED_FUNCTIONS) {
      expect(entry.examples.length).toBeGreaterThan(0);
      for (const fn of entry.examples) {
        expect(entry.prefix ? fn.startsWith(entry.name) : fn === entry.name).toBe(true);
      }
    }
  });

  it.each(cases)('%s: %s', async (_entry, fn) => {
    for (const sql of [
      `SELECT ${fn}('x')`,
      `select pg_catalog.${fn}(1, 2)`,
      `SELECT * FROM t WHERE EXISTS (SELECT 1 FROM ${fn.toUpperCase()}() AS f)`,
      `WITH x AS (SELECT coalesce(null, "public".${fn}())) SELECT * FROM x`,
      `EXPLAIN ANALYZE SELECT 1 ORDER BY ${fn}()`,
      `VALUES ((SELECT max(v) FROM (SELECT ${fn}() AS v) s))`,
    ]) {
      const err = await refusal(sql);
      expect(err.message).toContain(`The function ${fn} is not allowed`);
      expect(err.details).toMatchObject({ function: fn });
    }
  });

  it('names that only resemble denied ones are allowed', async () => {
    expect(
      await checkStatement(
        'SELECT my_dblink_helper(), pg_read_file_size(), lo_get(1), pg_stat_get_live_tuples(1)',
      ),
    ).toBe('select');
  });
});
