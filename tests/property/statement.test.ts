/**
 * The statement check on generated SQL, against the real test server: every allowed and refused statement
 * kind, its tokens separated by comments ended by \r, \r\n or \n, nested comments and whitespace variants,
 * with dollar quotes (tagged), E'' strings, U&'' strings and U&"" identifiers carrying text that looks like
 * other statements. Connections go through a proxy that records every statement reaching the server
 * (tests/support/recording-proxy.ts):
 * - nothing refused is run: a refused statement opens no connection and sends nothing, and the traces it
 *   would leave (rows, tables, locks, settings) are absent afterwards;
 * - nothing allowed is refused: an allowed statement reaches the server verbatim, and succeeds or fails only
 *   with the server's own error.
 */
import fc from 'fast-check';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { AppError } from '../../lib/errors.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import { checkStatement } from '../../lib/postgres/statement.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, testPgUrl, type TestDatabase } from '../support/postgres.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { nastyString } from './arbitraries.js';

/** What may stand between two tokens: whitespace variants and comments of every kind. */
const separator = fc.constantFrom(
  ' ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\f',
  ' \t\r\n ',
  ' -- c\r',
  ' -- c\r\n',
  ' -- c\n',
  ' --\r',
  ' /* c */ ',
  ' /* a /* nested\r */ b */ ',
  ' /*\r\n*/ ',
  ' /* -- not a line comment */ ',
);

/** String literals whose content looks like SQL a naive lexer would act on. */
const literal = fc.constantFrom(
  '$t$; DELETE FROM victim; --$t$',
  '$$COPY victim TO STDOUT$$',
  '$a$ $b$ inner; DROP TABLE victim $b$ $a$',
  "E'\\'; DROP TABLE victim; --'",
  "E'line\\r\\nbreak /*'",
  "'-- not a comment'",
  "'/* not a comment'",
  "U&'\\0041\\0042'",
  "U&'!0041' UESCAPE '!'",
);
/** Identifiers, quoted and Unicode-escaped. */
const identifier = fc.constantFrom(
  '"lock"',
  '"--\r"',
  '"/*"',
  'U&"d\\0061t"',
  'U&"!0061b" UESCAPE \'!\'',
  'plain',
);

type Template = (lit: string, id: string) => string[];
/** Token lists of allowed statements (tokens are joined by generated separators). */
const ALLOWED: Template[] = [
  (lit, id) => ['SELECT', lit, 'AS', id, ',', 'v', 'FROM', 'victim'],
  (lit, id) => ['WITH', 'x', 'AS', '(SELECT', lit, 'AS', id, ')', 'SELECT', '*', 'FROM', 'x'],
  (lit) => ['VALUES', '(', lit, ',', '1', ')', ',', '(', lit, ',', '2', ')'],
  () => ['TABLE', 'victim'],
  (lit) => ['SELECT', lit, 'UNION', 'ALL', 'SELECT', lit],
  () => ['(SELECT', 'v', 'FROM', 'victim)', 'EXCEPT', '(SELECT', '9)', 'ORDER', 'BY', '1'],
  () => ['SELECT', '1', 'INTERSECT', 'SELECT', '1'],
  (lit, id) => ['EXPLAIN', 'SELECT', lit, 'AS', id, 'FROM', 'victim'],
  (lit) => [
    'EXPLAIN',
    '(ANALYZE,',
    'FORMAT',
    'JSON)',
    'SELECT',
    'count(*)',
    'FROM',
    'victim',
    'WHERE',
    lit,
    "<> ''",
  ],
  () => ['SHOW', 'search_path'],
  (lit, id) => ['SELECT', 'count(*)', 'AS', id, 'FROM', 'victim', 'WHERE', lit, 'IS', 'NOT', 'NULL'],
];

/** Refused statements: every kind, each one that would leave a trace if it ran. */
const REFUSED: Template[] = [
  () => ['COPY', 'victim', 'TO', 'STDOUT'],
  () => ['COPY', '(SELECT', '1)', 'TO', 'STDOUT'],
  () => ['DO', '$do$BEGIN INSERT INTO victim VALUES (7); END$do$'],
  () => ['DO', 'LANGUAGE', 'plpgsql', "'BEGIN PERFORM pg_advisory_lock(1); END'"],
  () => ['CALL', 'no_such_procedure()'],
  () => ['LOCK', 'TABLE', 'victim', 'IN', 'ACCESS', 'SHARE', 'MODE'],
  () => ['SET', 'search_path', '=', 'intruder'],
  () => ['SET', 'LOCAL', 'statement_timeout', '=', '0'],
  () => ['RESET', 'ALL'],
  () => ['LISTEN', 'chan'],
  (lit) => ['NOTIFY', 'chan', ',', lit],
  () => ['UNLISTEN', '*'],
  () => ['PREPARE', 'p', 'AS', 'SELECT', '1'],
  () => ['EXECUTE', 'p'],
  () => ['DEALLOCATE', 'ALL'],
  () => ['DECLARE', 'c', 'CURSOR', 'FOR', 'SELECT', '1'],
  () => ['FETCH', 'c'],
  () => ['CLOSE', 'c'],
  () => ['CHECKPOINT'],
  () => ['VACUUM', 'victim'],
  () => ['ANALYZE', 'victim'],
  (lit) => ['INSERT', 'INTO', 'victim', 'SELECT', 'length(', lit, ')'],
  () => ['UPDATE', 'victim', 'SET', 'v', '=', '0'],
  () => ['DELETE', 'FROM', 'victim'],
  () => [
    'MERGE',
    'INTO',
    'victim',
    'USING',
    '(SELECT',
    '1',
    'AS',
    'v)',
    's',
    'ON',
    'true',
    'WHEN',
    'MATCHED',
    'THEN',
    'DELETE',
  ],
  () => ['TRUNCATE', 'victim'],
  (_lit, id) => ['CREATE', 'TABLE', 'intruder', '(', id, 'int', ')'],
  () => ['CREATE', 'TABLE', 'intruder', 'AS', 'SELECT', '1'],
  () => ['DROP', 'TABLE', 'victim'],
  () => ['ALTER', 'TABLE', 'victim', 'ADD', 'COLUMN', 'w', 'int'],
  () => ['GRANT', 'SELECT', 'ON', 'victim', 'TO', 'PUBLIC'],
  () => ['BEGIN'],
  () => ['COMMIT'],
  () => ['ROLLBACK'],
  () => ['DISCARD', 'ALL'],
  (lit) => ['SELECT', lit, 'INTO', 'intruder'],
  () => ['SELECT', 'v', 'FROM', 'victim', 'FOR', 'UPDATE'],
  () => ['SELECT', '*', 'FROM', '(SELECT', 'v', 'FROM', 'victim', 'FOR', 'KEY', 'SHARE)', 's'],
  () => ['WITH', 'd', 'AS', '(DELETE', 'FROM', 'victim', 'RETURNING', 'v)', 'SELECT', '*', 'FROM', 'd'],
  () => ['SELECT', 'pg_advisory_lock(', '42', ')'],
  (lit) => ['SELECT', 'pg_catalog.set_config(', "'semaia.trace'", ',', lit, ',', 'false)'],
  (lit) => ['SELECT', 'pg_read_file(', lit, ')'],
  (lit) => ['SELECT', 'query_to_xml(', lit, ',', 'true,', 'true,', "'')"],
  () => ['EXPLAIN', 'ANALYZE', 'DELETE', 'FROM', 'victim'],
  () => ['SELECT', '1;', 'DELETE', 'FROM', 'victim'],
  () => ['SELECT', '1', ';', 'COMMIT', ';', 'DROP', 'TABLE', 'victim'],
];

const tokensJoined = (templates: Template[]) =>
  fc.tuple(fc.constantFrom(...templates), literal, identifier).chain(([template, lit, id]) => {
    const tokens = template(lit, id);
    return fc
      .tuple(
        fc.array(separator, { minLength: tokens.length - 1, maxLength: tokens.length - 1 }),
        fc.array(separator, { maxLength: 2 }),
        fc.constantFrom('', ';', ' ;', ';\n', ' -- end', ' /* end */', '; -- end\n'),
      )
      .map(([seps, lead, tail]) => lead.join('') + tokens.map((t, i) => t + (seps[i] ?? '')).join('') + tail);
  });

const allowedSql = tokensJoined(ALLOWED);
/** Refused statements, half of them behind the disguise (a comment a naive lexer thinks goes on). */
const refusedSql = fc
  .tuple(tokensJoined(REFUSED), fc.boolean())
  .map(([sql, disguise]) => (disguise ? `--x\r${sql.replace(/;\s*$/, '')} /*\nselect 1 */` : sql));

describe('statement check, generated, against the real server behind a recording proxy', () => {
  let db: TestDatabase;
  let proxy: RecordingProxy;
  let conn: ConnectionConfig;

  beforeAll(async () => {
    db = await createTestDatabase('prop_statement');
    await db.query('CREATE TABLE victim (v int); INSERT INTO victim VALUES (1), (2), (3)');
    const server = new URL(testPgUrl());
    proxy = await startRecordingProxy({ host: server.hostname, port: Number(server.port || 5432) });
    conn = { ...parsePostgresUrl(await db.readerUrl(), 'disable'), host: proxy.host, port: proxy.port };
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
  });

  it('nothing refused is run: no connection, nothing sent, no trace', async () => {
    await fc.assert(
      fc.asyncProperty(refusedSql, async (sql) => {
        const connections = proxy.connections;
        const sent = proxy.statements.length;
        const err = await runReadOnlyQuery(conn, sql, { timeoutMs: 5_000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('SqlError');
        expect(proxy.connections).toBe(connections);
        expect(proxy.statements.length).toBe(sent);
      }),
      { numRuns: 300 },
    );
    expect((await db.query<{ v: number }>('SELECT v FROM victim ORDER BY v')).rows.map((r) => r.v)).toEqual([
      1, 2, 3,
    ]);
    expect((await db.query("SELECT to_regclass('public.intruder') AS t")).rows[0].t).toBeNull();
    const columns = await db.query(
      "SELECT 1 FROM pg_attribute WHERE attrelid = 'victim'::regclass AND attname = 'w'",
    );
    expect(columns.rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'")).rowCount).toBe(0);
  });

  it('nothing allowed is refused: it reaches the server verbatim and fails, if at all, with a server error', async () => {
    await fc.assert(
      fc.asyncProperty(allowedSql, async (sql) => {
        const sent = proxy.statements.length;
        const outcome = await runReadOnlyQuery(conn, sql, { timeoutMs: 5_000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(proxy.statements.slice(sent)).toContain(sql);
        if (outcome !== undefined) {
          expect(outcome).toBeInstanceOf(AppError);
          expect((outcome as AppError).details?.pgCode).toMatch(/^[0-9A-Z]{5}$/);
        }
      }),
      { numRuns: 80 },
    );
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM victim')).rows[0]!.n).toBe(3);
  });

  it('the classifier throws nothing but SqlError on arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(nastyString(120), async (sql) => {
        const kind = await checkStatement(sql).catch((err: unknown) => {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe('SqlError');
          return 'refused';
        });
        expect(['select', 'explain', 'show', 'refused']).toContain(kind);
      }),
      { numRuns: 2000 },
    );
  });
});
