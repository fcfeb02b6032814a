/**
 * Every row of the value table in docs/api.md, against the real PostgreSQL, on a database (and a role) whose
 * defaults for DateStyle, IntervalStyle, TimeZone, extra_float_digits and bytea_output are set to unusual
 * values, in this process and in two child processes with non-UTC time zones (one with a half-hour offset).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { readValueTable, runExample, VALUE_TYPES_SQL } from './support/value-table.js';

const run = promisify(execFile);
const table = readValueTable();
let db: TestDatabase;
let conn: ConnectionConfig;
let roleUrl: string;
let readerUrl: string;

const ODD_DEFAULTS = `DateStyle = 'SQL, DMY', IntervalStyle = 'iso_8601', TimeZone = 'Europe/Amsterdam',
  extra_float_digits = 0, bytea_output = 'escape'`;

beforeAll(async () => {
  db = await createTestDatabase('values');
  await db.query(VALUE_TYPES_SQL);
  for (const setting of ODD_DEFAULTS.split(/,\s*(?=[a-zA-Z_]+ =)/)) {
    await db.query(`ALTER DATABASE ${db.name} SET ${setting}`);
  }
  // money's text follows lc_monetary, which is the database's choice and is not pinned.
  await db.query(`ALTER DATABASE ${db.name} SET lc_monetary = 'C'`);
  const role = await db.createRole('values_reader', 'values-pass');
  await db.query(`ALTER ROLE ${role.name} IN DATABASE ${db.name} SET DateStyle = 'German'`);
  await db.query(`ALTER ROLE ${role.name} IN DATABASE ${db.name} SET TimeZone = 'Pacific/Chatham'`);
  await db.query(`ALTER ROLE ${role.name} IN DATABASE ${db.name} SET IntervalStyle = 'sql_standard'`);
  readerUrl = await db.readerUrl();
  conn = parsePostgresUrl(readerUrl, 'disable');
  roleUrl = role.url;
});
afterAll(async () => {
  await db?.drop();
});

it('reads the table from the docs', () => {
  expect(table.length).toBeGreaterThanOrEqual(40);
  expect(table[0]).toEqual({ typeClass: 'boolean', example: 'true', json: 'true', csv: 'true' });
});

it('the database really has the unusual defaults (a plain session sees them)', async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT current_setting('DateStyle') AS ds, current_setting('TimeZone') AS tz, '1 day'::interval::text AS iv`,
    );
    expect(rows[0]).toEqual({ ds: 'SQL, DMY', tz: 'Europe/Amsterdam', iv: 'P1D' });
  } finally {
    await client.end();
  }
});

describe(`in this process (TZ=${process.env.TZ ?? 'unset'})`, () => {
  it.each(table.map((r) => [r.typeClass, r]))('%s', async (_name, row) => {
    expect(await runExample(conn, row.example)).toEqual([row.json, row.csv]);
  });
});

it('as a role with its own defaults (ALTER ROLE … IN DATABASE)', async () => {
  const roleConn = parsePostgresUrl(roleUrl, 'disable');
  for (const row of table)
    expect([row.example, ...(await runExample(roleConn, row.example))]).toEqual([
      row.example,
      row.json,
      row.csv,
    ]);
});

describe.each([
  ['Asia/Kolkata', -330],
  ['America/St_Johns', 210],
])('in a process with TZ=%s', (tz, offset) => {
  it('gives every documented value', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', resolve(__dirname, 'support/value-table-child.ts'), readerUrl],
      { env: { ...process.env, TZ: tz, LOG_LEVEL: 'silent' }, timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as { offset: number; out: [string, string][] };
    expect(result.offset).toBe(offset);
    expect(table.map((row, i) => [row.example, ...result.out[i]!])).toEqual(
      table.map((row) => [row.example, row.json, row.csv]),
    );
  }, 60_000);
});
