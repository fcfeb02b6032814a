/**
 * The findings against a real PostgreSQL server: statements that got through before are refused
 * before they reach the server, and the effect they had (a file, a row written over another connection, a
 * replication slot, a terminated session) does not happen. Where cheap, a control runs the same statement
 * directly inside BEGIN READ ONLY to show the effect would be visible. Privileged roles are refused unless
 * allowed, and never for the model's tools.
 */
import { existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { AppError } from '../../lib/errors.js';
import { statusOf } from '../../lib/http/errors.js';
import { createDatabaseTools } from '../../lib/model/tools.js';
import { inspectSchema } from '../../lib/postgres/inspect.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { rejectionOf as failure } from '../support/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
let superuser: ConnectionConfig;
let reader: ConnectionConfig;
const files: string[] = [];

const tmpFile = (what: string) => {
  const path = `/tmp/semaia-${what}-${randomBytes(6).toString('hex')}`;
  files.push(path);
  return path;
};

beforeAll(async () => {
  db = await createTestDatabase('sql_safety');
  await db.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text);
    INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');
    CREATE TABLE victim (v int);`);
  superuser = parsePostgresUrl(db.url, 'disable');
  reader = parsePostgresUrl(await db.readerUrl(), 'disable');
});
afterAll(async () => {
  for (const f of files) rmSync(f, { force: true });
  await db?.drop();
});

const victimRows = async () =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM victim')).rows[0]!.n;

/** Runs SQL as the admin inside BEGIN READ ONLY … ROLLBACK, as Semaia did before: the control. */
async function directlyReadOnly(sql: string): Promise<void> {
  await db.query('BEGIN READ ONLY');
  try {
    await db.query(sql);
  } finally {
    await db.query('ROLLBACK');
  }
}

async function refusedBeforeServer(sql: string, conn = superuser, allowPrivileged = true): Promise<AppError> {
  const err = await failure(runReadOnlyQuery(conn, sql, { allowPrivileged }));
  expect(err.code).toBe('SqlError');
  expect(statusOf(err)).toBe(400);
  expect(err.details?.pgCode).toBeUndefined(); // the classifier's refusal, not the server's error
  return err;
}

describe('1. comments ended by a carriage return no longer hide COPY or DO', () => {
  it('--\\rCOPY … TO STDOUT is refused as COPY (and the process is still here)', async () => {
    const err = await refusedBeforeServer('--\rCOPY customers TO STDOUT /*\nselect */');
    expect(err.message).toMatch(/^COPY statements are not allowed/);
    expect((await runReadOnlyQuery(reader, 'SELECT count(*)::int FROM customers')).rows).toEqual([[2]]);
  });

  it('--\\rCOPY … TO PROGRAM as a superuser writes no file', async () => {
    const control = tmpFile('copy-control');
    await directlyReadOnly(`COPY (SELECT 1) TO PROGRAM 'echo x > ${control}'`);
    expect(existsSync(control)).toBe(true);
    const target = tmpFile('copy');
    const err = await refusedBeforeServer(`--\rCOPY (select 1) TO PROGRAM 'id > ${target}' /*\n select */`);
    expect(err.details).toEqual({ statement: 'COPY' });
    expect(existsSync(target)).toBe(false);
  });

  it('--\\rDO is refused as DO', async () => {
    const err = await refusedBeforeServer(
      "--\rDO $$ BEGIN EXECUTE 'INSERT INTO victim VALUES (1)'; END $$ /*\nselect */",
    );
    expect(err.details).toEqual({ statement: 'DO' });
    expect(await victimRows()).toBe(0);
  });

  it("the same through the chat's run_sql tool", async () => {
    const tools = createDatabaseTools({ conn: reader });
    const emitted: [string, unknown][] = [];
    const signal = new AbortController().signal;
    for (const [sql, statement] of [
      ['--\rCOPY customers TO STDOUT /*\nselect */', 'COPY'],
      ['--\rDO $$ BEGIN END $$ /*\nselect */', 'DO'],
    ]) {
      const outcome = await tools.run(
        { name: 'run_sql', args: { sql } },
        { signal, emit: async (e, d) => void emitted.push([e, d]) },
      );
      const error = (outcome.response as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('SqlError');
      expect(error.message.startsWith(`${statement} statements are not allowed`)).toBe(true);
    }
  });
});

describe('3. what a read-only transaction does not stop is refused, even for a superuser allowed to run', () => {
  it('dblink_exec cannot write over its own connection', async () => {
    await db.query('CREATE EXTENSION IF NOT EXISTS dblink');
    const u = new URL(db.url);
    const connstr = `host=${u.hostname} port=${u.port} dbname=${db.name} user=${decodeURIComponent(u.username)} password=${decodeURIComponent(u.password)}`;
    const sql = `SELECT dblink_exec('${connstr}', 'INSERT INTO victim VALUES (1)')`;
    await directlyReadOnly(sql);
    expect(await victimRows()).toBe(1); // the control: the write survived the rollback
    await db.query('DELETE FROM victim');
    const err = await refusedBeforeServer(sql);
    expect(err.message).toMatch(/^The function dblink_exec is not allowed/);
    expect(await victimRows()).toBe(0);
  });

  it('pg_create_physical_replication_slot leaves no slot', async () => {
    const slot = `semaia_${randomBytes(4).toString('hex')}`;
    const count = async () =>
      (
        await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        )
      ).rows[0]!.n;
    await directlyReadOnly(`SELECT pg_create_physical_replication_slot('${slot}')`);
    expect(await count()).toBe(1);
    await db.query('SELECT pg_drop_replication_slot($1)', [slot]);
    try {
      await refusedBeforeServer(`SELECT pg_create_physical_replication_slot('${slot}')`);
      expect(await count()).toBe(0);
    } finally {
      // A slot left behind would hold back the server's WAL for good.
      await db.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
    }
  });

  it('lo_export writes no file', async () => {
    const oid = (await db.query<{ oid: number }>("SELECT lo_from_bytea(0, 'secret') AS oid")).rows[0]!.oid;
    const control = tmpFile('lo-control');
    await directlyReadOnly(`SELECT lo_export(${oid}, '${control}')`);
    expect(existsSync(control)).toBe(true);
    const target = tmpFile('lo');
    await refusedBeforeServer(`SELECT lo_export(${oid}, '${target}')`);
    expect(existsSync(target)).toBe(false);
  });

  it('pg_file_write (adminpack) is refused by the classifier, whether or not the server has adminpack', async () => {
    const available = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'adminpack'");
    const target = tmpFile('adminpack');
    if (available.rowCount) await db.query('CREATE EXTENSION IF NOT EXISTS adminpack');
    // adminpack was removed in PostgreSQL 17: there the refusal can only be the classifier's, which is the point.
    const err = await refusedBeforeServer(`SELECT pg_catalog.pg_file_write('${target}', 'x', false)`);
    expect(err.details).toEqual({ function: 'pg_file_write' });
    expect(existsSync(target)).toBe(false);
  });

  it('pg_terminate_backend leaves the other session alive', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await refusedBeforeServer(`SELECT pg_terminate_backend(${pid})`);
      await refusedBeforeServer(`SELECT pg_cancel_backend(${pid})`);
      expect((await other.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await other.end();
    }
  });

  it('pg_stat_reset leaves the statistics alone; pg_reload_conf, CHECKPOINT, pg_switch_wal never run', async () => {
    const resetAt = async () =>
      (
        await db.query<{ t: string | null }>(
          'SELECT stats_reset::text AS t FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]!.t;
    const before = await resetAt();
    await refusedBeforeServer('SELECT pg_stat_reset()');
    expect(await resetAt()).toBe(before);
    for (const [sql, named] of [
      ['SELECT pg_reload_conf()', { function: 'pg_reload_conf' }],
      ['CHECKPOINT', { statement: 'CHECKPOINT' }],
      ['SELECT pg_catalog.pg_switch_wal()', { function: 'pg_switch_wal' }],
      ["SELECT pg_logical_emit_message(true, 'semaia', 'x')", { function: 'pg_logical_emit_message' }],
      ["SELECT pg_read_file('/etc/hostname')", { function: 'pg_read_file' }],
      ['LOCK TABLE customers IN ACCESS EXCLUSIVE MODE', { statement: 'LOCK' }],
    ] as const) {
      expect((await refusedBeforeServer(sql)).details).toEqual(named);
    }
  });

  it('as an ordinary role: LOCK TABLE, advisory locks and terminating its own other sessions are refused', async () => {
    expect(
      (await refusedBeforeServer('LOCK TABLE customers IN ACCESS SHARE MODE', reader, false)).details,
    ).toEqual({
      statement: 'LOCK',
    });
    expect((await refusedBeforeServer('SELECT pg_advisory_lock(42)', reader, false)).details).toEqual({
      function: 'pg_advisory_lock',
    });
    const own = new pg.Client({ connectionString: await db.readerUrl() });
    await own.connect();
    try {
      const pid = (await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await refusedBeforeServer(`SELECT pg_terminate_backend(${pid})`, reader, false);
      expect((await own.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await own.end();
    }
    const locks = await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'");
    expect(locks.rowCount).toBe(0);
  });
});

describe('privileged roles are refused by default, naming the attribute', () => {
  it('a superuser', async () => {
    const err = await failure(runReadOnlyQuery(superuser, 'SELECT 1'));
    expect(err.code).toBe('PrivilegedRole');
    expect(statusOf(err)).toBe(400);
    expect(err.details).toEqual({ attribute: 'superuser', role: superuser.user });
    expect(err.message).toMatch(/is a superuser/);
  });

  it.each([
    ['REPLICATION', 'replication'],
    ['pg_read_server_files', 'pg_read_server_files'],
    ['pg_write_server_files', 'pg_write_server_files'],
    ['pg_execute_server_program', 'pg_execute_server_program'],
    ['pg_signal_backend', 'pg_signal_backend'],
  ])('a role with %s', async (grant, attribute) => {
    const role = await db.createRole(`priv_${attribute}`, 'pw');
    await db.query(
      grant === 'REPLICATION' ? `ALTER ROLE "${role.name}" REPLICATION` : `GRANT ${grant} TO "${role.name}"`,
    );
    const conn = parsePostgresUrl(role.url, 'disable');
    const err = await failure(runReadOnlyQuery(conn, 'SELECT 1'));
    expect(err.code).toBe('PrivilegedRole');
    expect(err.details).toEqual({ attribute, role: role.name });
    // Allowed by the operator, it runs.
    expect((await runReadOnlyQuery(conn, 'SELECT 1', { allowPrivileged: true })).rows).toEqual([[1]]);
  });

  it('membership through another role counts', async () => {
    const role = await db.createRole('indirect', 'pw');
    const group = `grp_${randomBytes(4).toString('hex')}`;
    await db.query(
      `CREATE ROLE ${group}; GRANT pg_read_server_files TO ${group}; GRANT ${group} TO "${role.name}"`,
    );
    try {
      const err = await failure(runReadOnlyQuery(parsePostgresUrl(role.url, 'disable'), 'SELECT 1'));
      expect(err.details).toEqual({ attribute: 'pg_read_server_files', role: role.name });
    } finally {
      await db.query(`REVOKE ${group} FROM "${role.name}"; DROP ROLE ${group}`);
    }
  });

  it("the model's tools refuse a privileged role even when the operator allows them for /query", async () => {
    process.env.CONNECTOR_ALLOW_PRIVILEGED_ROLES = 'true';
    try {
      const tools = createDatabaseTools({ conn: superuser });
      const outcome = await tools.run(
        { name: 'run_sql', args: { sql: 'SELECT 1' } },
        { signal: new AbortController().signal, emit: async () => undefined },
      );
      expect((outcome.response as { error: { code: string } }).error.code).toBe('PrivilegedRole');
    } finally {
      delete process.env.CONNECTOR_ALLOW_PRIVILEGED_ROLES;
    }
  });

  it("inspect reports the role's attributes (and refuses a privileged role unless allowed)", async () => {
    expect((await failure(inspectSchema(superuser))).code).toBe('PrivilegedRole');
    const admin = await inspectSchema(superuser, { allowPrivileged: true });
    expect(admin.role).toMatchObject({ name: superuser.user, superuser: true });
    const plain = await inspectSchema(reader);
    expect(plain.role).toEqual({ name: reader.user, superuser: false, replication: false, memberOf: [] });
  });
});
