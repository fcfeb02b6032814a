/**
 * The read-only role the README and docs/security.md tell users to create: the same three statements in
 * both, and a role made by them can read through Semaia, is not refused as privileged, and cannot write.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import { createTestDatabase, testPgUrl, urlWithDatabase, type TestDatabase } from '../support/postgres.js';

const sqlBlock = (file: string): string => {
  const match = /```sql\n(CREATE ROLE semaia_reader[\s\S]*?)```/.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`${file} has no read-only role block`);
  return match[1]!;
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('doc_role');
  await db.query("CREATE TABLE shop (id int PRIMARY KEY, name text); INSERT INTO shop VALUES (1, 'a')");
});
afterAll(() => db?.drop());

it('README and docs/security.md give the same three statements', () => {
  const readme = sqlBlock('README.md');
  expect(sqlBlock('docs/security.md')).toBe(readme);
  expect(readme.trim().split('\n')).toHaveLength(3);
});

it('a role made by them reads through Semaia, is not privileged, and cannot write', async () => {
  const role = `semaia_reader_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const statements = sqlBlock('README.md')
    .replaceAll('semaia_reader', role)
    .replace('choose-a-long-password', password);
  await db.query(statements);
  try {
    const conn = parsePostgresUrl(urlWithDatabase(testPgUrl(), db.name, { name: role, password }), 'disable');
    expect((await runReadOnlyQuery(conn, 'SELECT name FROM shop')).rows).toEqual([['a']]);
    // The role itself cannot write, whatever reaches the server: checked on a direct connection.
    const direct = new pg.Client({
      connectionString: urlWithDatabase(testPgUrl(), db.name, { name: role, password }),
    });
    await direct.connect();
    try {
      const err = await direct.query("INSERT INTO shop VALUES (2, 'b')").then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(err?.code).toBe('42501'); // permission denied
    } finally {
      await direct.end();
    }
  } finally {
    await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
  }
});
