/**
 * Inspection of a big catalog: prints the time (no speed assertion: CI machines are noisy), checks completeness.
 * 600 tables by default so the suite stays quick (creating tables costs ~10 ms each on a slow disk);
 * set INSPECT_SCALE_TABLES=3000 to measure a bigger catalog.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { inspectSchema } from '../../lib/postgres/inspect.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const TABLES = Math.max(2, Number(process.env.INSPECT_SCALE_TABLES) || 600);
const BATCH = 200; // one transaction per batch: a single one would exhaust max_locks_per_transaction
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('inspect_scale');
  await db.query('CREATE TABLE parent (id integer PRIMARY KEY, name text)');
  for (let from = 1; from < TABLES; from += BATCH) {
    const to = Math.min(from + BATCH - 1, TABLES - 1);
    await db.query(`DO $$ BEGIN
      FOR i IN ${from}..${to} LOOP
        EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id),
          a text, b numeric(12,2), c timestamptz DEFAULT now(), d boolean NOT NULL DEFAULT false)', i);
        EXECUTE format('COMMENT ON TABLE t%s IS %L', i, 'table ' || i);
      END LOOP;
    END $$`);
  }
}, 300_000);

afterAll(async () => {
  await db?.drop();
});

it(`inspects ${TABLES} tables with their columns, keys and indexes`, async () => {
  const conn = parsePostgresUrl(db.url, 'disable');
  await inspectSchema(conn, { allowPrivileged: true }); // warm the server's catalog caches
  const started = performance.now();
  const info = await inspectSchema(conn, { allowPrivileged: true });
  const ms = performance.now() - started;
  const rels = info.schemas.flatMap((s) => s.relations);
  expect(rels).toHaveLength(TABLES);
  expect(info.truncated).toBe(false);
  const t1 = rels.find((r) => r.name === 't1')!;
  expect(t1.columns).toHaveLength(6);
  expect(t1.primaryKey).toEqual({ name: 't1_pkey', columns: ['id'] });
  expect(t1.foreignKeys[0]!.references).toEqual({ schema: 'public', table: 'parent', columns: ['id'] });
  expect(t1.comment).toBe('table 1');
  const columns = rels.reduce((n, r) => n + r.columns.length, 0);
  const mb = (JSON.stringify(info).length / 1e6).toFixed(2);
  console.log(`inspectSchema: ${TABLES} tables, ${columns} columns in ${ms.toFixed(0)} ms (JSON ${mb} MB)`);
}, 60_000);
