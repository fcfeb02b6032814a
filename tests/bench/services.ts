/**
 * The services the HTTP benchmarks share, started once per `npm run bench` and stopped by run.ts:
 * a PostgreSQL server (PG_URL if set, else an embedded one in a temp dir), the scripted Gemini server,
 * and the real API behind the local shim (tests/support/api.ts: in-memory dynalite, real handler) with a
 * connector pointing at a fresh database.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';

export interface BenchServices {
  api: TestApi;
  gemini: ScriptedGemini;
  /** Superuser URL of the server. */
  pgUrl: string;
  /** Id of a connector (user `bench-user`) on a small database with one table. */
  connectorId: string;
  /** Creates a fresh database and returns its superuser URL (dropped at stop). */
  createDatabase(prefix: string): Promise<string>;
  /**
   * URL of a new role that can only read the database of `dbUrl` (its tables, now and later): what
   * connectors log in as, since Semaia refuses privileged roles. Dropped at stop.
   */
  createReader(dbUrl: string): Promise<string>;
}

let started: Promise<BenchServices> | undefined;
const stops: Array<() => Promise<void>> = [];

export const BENCH_USER = 'bench-user';

export const LIMITS_OFF: Record<string, string> = {
  LIMIT_STREAMS_PER_USER: '0',
  LIMIT_FOLLOW_STREAMS_PER_USER: '0',
  LIMIT_MODEL_TOKENS_PER_DAY: '0',
  LIMIT_SQL_REQUESTS_PER_MINUTE: '0',
  LIMIT_SQL_CONCURRENT_PER_CONNECTOR: '0',
  LIMIT_CONNECTORS_PER_USER: '0',
};

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function startPostgres(): Promise<string> {
  if (process.env.PG_URL) return process.env.PG_URL;
  const { startEmbeddedPostgres } = await import('../../lib/local/embedded-postgres.js');
  const dir = mkdtempSync(join(tmpdir(), 'semaia-bench-pg-'));
  const server = await startEmbeddedPostgres({ dir, password: 'semaia-bench', persistent: false });
  stops.push(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return server.url;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function benchServices(): Promise<BenchServices> {
  started ??= (async () => {
    const pgUrl = await startPostgres();
    const databases: string[] = [];
    const roles: string[] = [];
    stops.push(() =>
      admin(pgUrl, async (c) => {
        for (const db of databases) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
        for (const role of roles) await c.query(`DROP ROLE IF EXISTS "${role}"`);
      }),
    );
    const createReader = async (dbUrl: string) => {
      const role = `bench_reader_${process.pid}_${roles.length}`;
      const password = `pw-${role}`;
      roles.push(role);
      // Read access to every schema and table there is now, and to tables created later (as a user would grant).
      await admin(dbUrl, (c) =>
        c.query(`CREATE ROLE "${role}" LOGIN PASSWORD '${password}';
          DO $$ DECLARE s text; BEGIN
            FOR s IN SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' LOOP
              EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, '${role}');
              EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s, '${role}');
            END LOOP;
          END $$;
          ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO "${role}";`),
      );
      const u = new URL(dbUrl);
      u.username = role;
      u.password = password;
      return u.toString();
    };
    const createDatabase = async (prefix: string) => {
      const name = `bench_${prefix}_${process.pid}_${databases.length}`;
      await admin(pgUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
      databases.push(name);
      return withDatabase(pgUrl, name);
    };

    installLambdaGlobals();
    const gemini = await startScriptedGemini({ fallback: 'echo' });
    stops.push(() => gemini.close());
    // A fresh in-memory store for the benchmarks, whatever an earlier part pointed the store at.
    delete process.env.DYNAMODB_ENDPOINT;
    const { resetDocumentClient } = await import('../../lib/store/client.js');
    resetDocumentClient();
    const api = await startTestApi({
      env: {
        GEMINI_API_KEY: 'bench-key',
        GEMINI_BASE_URL: gemini.url,
        MODEL_RETRY_BASE_MS: '20',
        TABLE_NAME: 'semaia-bench',
        // The other parts measure streaming and scale for one user (200 streams at once): no per-user
        // limits there; the `limits` part turns them on to measure what they cost.
        ...LIMITS_OFF,
      },
      timeoutMs: 120_000,
    });
    stops.push(() => api.close());

    const dbUrl = await createDatabase('items');
    await admin(dbUrl, (c) =>
      c.query(
        `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'one'), (2, 'two')`,
      ),
    );
    const created = await api.request('POST', '/connectors', {
      user: BENCH_USER,
      body: { name: 'Bench items', ...parsePostgresUrl(await createReader(dbUrl), 'disable') },
    });
    if (created.status !== 201)
      throw new Error(`creating the connector failed: ${created.status} ${created.text}`);
    return {
      api,
      gemini,
      pgUrl,
      connectorId: created.json.connector.id as string,
      createDatabase,
      createReader,
    };
  })();
  return started;
}

/** Stops whatever benchServices() started (in reverse order). */
export async function stopBenchServices(): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  stops.length = 0;
  started = undefined;
}
