/** Inspection of a big catalog: prints the time (no speed assertion), checks completeness and the cap. */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { inspectSchema } from '../../lib/postgres/inspect.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const TABLES = 2_000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('inspect_scale');
  await db.query(`
    CREATE TABLE parent (id integer PRIMARY KEY, name text);
    DO $$ BEGIN
      FOR i IN 1..${TABLES - 1} LOOP
        EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id),
          a text, b numeric(12,2), c timestamptz DEFAULT now(), d boolean NOT NULL DEFAULT false)', i);
        EXECUTE format('COMMENT ON TABLE t%s IS %L', i, 'table ' || i);
      END LOOP;
    END $$;
  `);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

it(`inspects ${TABLES} tables with their columns, keys and indexes`, async () => {
  const conn = parsePostgresUrl(db.url, 'disable');
  await inspectSchema(conn); // warm the catalog caches
  const started = performance.now();
  const info = await inspectSchema(conn);
  const ms = performance.now() - started;
  const rels = info.schemas.flatMap((s) => s.relations);
  expect(rels).toHaveLength(TABLES);
  expect(info.truncated).toBe(false);
  const t7 = rels.find((r) => r.name === 't7')!;
  expect(t7.columns).toHaveLength(6);
  expect(t7.foreignKeys[0]!.references).toEqual({ schema: 'public', table: 'parent', columns: ['id'] });
  expect(t7.comment).toBe('table 7');
  console.log(`inspectSchema: ${TABLES} tables, ${rels.reduce((n, r) => n + r.columns.length, 0)} columns in ${ms.toFixed(0)} ms, JSON ${(JSON.stringify(info).length / 1e6).toFixed(2)} MB`);
}, 60_000);
