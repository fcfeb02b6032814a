/** The catalog fingerprint that re-verifies a cached schema index, and the quoting keyword list, on a real server. */
import pg from 'pg';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { reservedWords } from '../../lib/model/schema/quote.js';
import { readCatalogFingerprint } from '../../lib/postgres/fingerprint.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
let conn: ConnectionConfig;

beforeAll(async () => {
  db = await createTestDatabase('fingerprint');
  // As the model's index reads it: a read-only role, made before the fixture so it can see every table.
  const reader = await db.readerUrl();
  await db.query(
    `CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE t (id int PRIMARY KEY, m mood, v text);`,
  );
  conn = parsePostgresUrl(reader, 'disable');
});
afterAll(async () => {
  await db?.drop();
});

const fp = async () => (await readCatalogFingerprint(conn)).fingerprint;

describe('catalog fingerprint', () => {
  it('changes with DDL, comments, grants and enum labels', async () => {
    const changes = [
      'ALTER TABLE t ADD COLUMN extra int',
      'ALTER TABLE t ALTER COLUMN v SET NOT NULL',
      "COMMENT ON COLUMN t.v IS 'value'",
      "ALTER TYPE mood ADD VALUE 'glad'",
      'CREATE TABLE u (id int REFERENCES t(id))',
      'ALTER TABLE t ADD CONSTRAINT v_short CHECK (length(v) < 10)',
      'CREATE SCHEMA extra',
      'GRANT SELECT ON t TO PUBLIC',
      'DROP TABLE u',
    ];
    let before = await fp();
    for (const ddl of changes) {
      await db.query(ddl);
      const after = await fp();
      expect({ ddl, changed: after !== before }).toEqual({ ddl, changed: true });
      before = after;
    }
  });

  it('stays the same for data, ANALYZE and other sessions’ temporary tables', async () => {
    const before = await fp();
    await db.query(`INSERT INTO t (id, v) SELECT g, 'x' FROM generate_series(1, 500) g; ANALYZE t;`);
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('CREATE TEMP TABLE scratch (a int, b text)');
      expect(await fp()).toBe(before);
    } finally {
      await other.end();
    }
  });

  it('returns the search path', async () => {
    expect((await readCatalogFingerprint(conn)).searchPath).toEqual(['public']);
  });
});

describe('identifier quoting', () => {
  it('knows every keyword this server reserves in some position', async () => {
    const { rows } = await db.query<{ word: string }>(
      `SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'`,
    );
    const missing = rows.map((r) => r.word).filter((w) => !reservedWords().has(w));
    expect(missing).toEqual([]);
  });
});
