/**
 * Per-test-file PostgreSQL databases on the run's shared server (TEST_PG_URL, see global-setup.ts), so test
 * files never see each other's tables and also work against an external server (PG_URL).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** Superuser URL of the new database. */
  url: string;
  /** Database name. */
  name: string;
  /** Connected superuser client on the new database (for fixtures and checks). */
  admin: pg.Client;
  /** Runs SQL as the superuser on the new database. */
  query<R extends pg.QueryResultRow = any>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Closes the admin client and drops the database (and the roles made with createRole). */
  drop(): Promise<void>;
  /** Creates a LOGIN role with a password, dropped again by drop(); returns its URL for this database. */
  createRole(prefix: string, password: string): Promise<{ name: string; url: string }>;
  /**
   * URL of a role that can only read: no server-level privileges, SELECT on every table and USAGE on every
   * schema the admin creates in this database, before or after (what connectors should log in as; Semaia
   * refuses privileged roles by default). Made on first call.
   */
  readerUrl(): Promise<string>;
}

/** Superuser URL of the run's server. */
export function testPgUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (!url)
    throw new Error('TEST_PG_URL is not set: run the tests through jest (tests/support/global-setup.ts)');
  return url;
}

/** True when the server is the embedded one (it checks passwords; an external server may use trust auth). */
export const usingEmbeddedPostgres = (): boolean => process.env.TEST_PG_EMBEDDED === '1';

export function urlWithDatabase(
  url: string,
  database: string,
  user?: { name: string; password: string },
): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  if (user) {
    u.username = encodeURIComponent(user.name);
    u.password = encodeURIComponent(user.password);
  }
  return u.toString();
}

const suffix = () => randomBytes(4).toString('hex');
const ident = (name: string) => '"' + name.replace(/"/g, '""') + '"';

async function withServerClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPgUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `t_${prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30)}_${suffix()}`;
  await withServerClient((c) => c.query(`CREATE DATABASE ${ident(name)}`));
  const url = urlWithDatabase(testPgUrl(), name);
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => undefined); // a dropped connection is reported by the next query
  await admin.connect();
  const roles: string[] = [];
  let dropped = false;
  let reader: Promise<string> | undefined;
  const createRole = async (rolePrefix: string, password: string) => {
    const role = `${rolePrefix
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 30)}_${suffix()}`;
    roles.push(role);
    await admin.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    return { name: role, url: urlWithDatabase(testPgUrl(), name, { name: role, password }) };
  };
  return {
    url,
    name,
    admin,
    query: (sql, values) => admin.query(sql, values as unknown[]),
    createRole,
    readerUrl() {
      reader ??= (async () => {
        const role = await createRole('reader', `pw-${suffix()}`);
        const r = ident(role.name);
        await admin.query(`
          GRANT USAGE ON SCHEMA public TO ${r};
          GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${r};
          ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO ${r};
          ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO ${r};
          ALTER DEFAULT PRIVILEGES GRANT SELECT ON SEQUENCES TO ${r};`);
        return role.url;
      })();
      return reader;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin.end().catch(() => undefined);
      await withServerClient(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
        for (const role of roles) await c.query(`DROP ROLE IF EXISTS ${ident(role)}`);
      });
    },
  };
}
