/**
 * The SQL path's own costs:
 * - the statement classifier (PostgreSQL's parser in WASM + the tree walk) per statement, on ~10 KB
 *   statements of several shapes, in this process (lib/postgres/statement.ts, median of many calls);
 * - the parser's load (import + WASM instantiation) in a fresh `node` process;
 * - the cold start of the first POST /query: a fresh process importing the built bundle and answering one
 *   /query against a real database (the parser's load included), over `node -e 0`;
 * - CPU per POST /query request on the built bundle, with the classifier and with it replaced by a
 *   pass-through (tests/bench/bundles.ts `apiNoParser`), same event, same database.
 * The child processes run in local mode (SEMAIA_LOCAL) so the connector's password is sealed with the local
 * key of a temporary DATA_DIR rather than KMS.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { BENCH_DIR, ensureBundles } from './bundles.js';
import { benchServices } from './services.js';
import { runTimed } from './spawn-timed.js';
import { median, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'sql';
const USER = 'bench-sql-user';
const TARGET_MS = 0.5;

/** ~10 KB statements: what the parser's cost depends on is the size of the tree, not of the text. */
export function tenKbStatements(): Record<string, string> {
  const query =
    "select c.id, c.name, sum(o.total) as total, count(*) filter (where o.status = 'paid') as paid from customers c " +
    "join orders o on o.customer_id = c.id where o.created_at > now() - interval '30 days' group by c.id, c.name " +
    'having sum(o.total) > 100 order by total desc limit 50';
  const ctes = Array.from({ length: 40 }, (_, i) => `q${i} as (${query})`).join(',\n');
  return {
    'long string literal': `select '${'x'.repeat(10_200)}' as s`,
    'long comment + small query': `/* ${'comment '.repeat(1_270)} */ select id, name from customers where id = 1`,
    'report: 40 CTEs (joins, aggregates)': `with ${ctes}\nselect * from q0`,
    'IN list of 2,000 numbers': `select * from orders where id in (${Array.from({ length: 2_000 }, (_, i) => i * 3).join(',')})`,
    'select list of 800 expressions': `select ${Array.from({ length: 800 }, (_, i) => `col${i} + ${i}`).join(', ')} from t`,
  };
}

/** Median of 200 timed calls after 30 warm-up calls. */
async function medianMs(work: () => unknown): Promise<number> {
  for (let i = 0; i < 30; i++) await work();
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await work();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function classifierCost(): Promise<Row[]> {
  const { checkStatement } = await import('../../lib/postgres/statement.js');
  // The parser apart from our walk: the tree as libpg-query returns it (its JSON.parse included), that
  // JSON.parse alone, and fingerprintSync (parse and walk inside the WASM module, no tree crosses over).
  const pg = await import('libpg-query');
  await pg.loadModule();
  const rows: Row[] = [];
  for (const [shape, sql] of Object.entries(tenKbStatements())) {
    const ms = await medianMs(() => checkStatement(sql));
    const tree = JSON.stringify(pg.parseSync(sql));
    const parse = await medianMs(() => pg.parseSync(sql));
    const json = await medianMs(() => JSON.parse(tree));
    const fingerprint = await medianMs(() => pg.fingerprintSync(sql));
    rows.push(
      check(
        PART,
        `classify: ${shape}`,
        `${round(ms, 3)} ms`,
        `< ${TARGET_MS} ms`,
        ms < TARGET_MS,
        `${round(sql.length / 1024, 1)} KB, median of 200; libpg-query alone: parseSync ${round(parse, 3)} ms ` +
          `(JSON.parse of its ${Math.round(tree.length / 1024)} KB tree ${round(json, 3)} ms), fingerprintSync ${round(fingerprint, 3)} ms`,
      ),
    );
  }
  return rows;
}

/** A Function URL event for POST /connectors/{id}/query. */
function queryEvent(connectorId: string, sql: string): string {
  const event = JSON.parse(readFileSync(resolve('tests/events/function-url-health.json'), 'utf8')) as Record<
    string,
    any
  >;
  const path = `/connectors/${connectorId}/query`;
  event.rawPath = path;
  event.requestContext.http.path = path;
  event.requestContext.http.method = 'POST';
  event.headers['x-user-uid'] = USER;
  event.headers['content-type'] = 'application/json';
  event.body = JSON.stringify({ sql });
  event.isBase64Encoded = false;
  const dir = resolve(BENCH_DIR, 'events');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, 'sql-query.json');
  writeFileSync(file, JSON.stringify(event));
  return file;
}

export async function sql(opts: { runs?: number; requests?: number } = {}): Promise<Row[]> {
  const runs = opts.runs ?? Number(process.env.BENCH_COLD_RUNS ?? 15);
  const requests = opts.requests ?? Number(process.env.BENCH_SQL_REQUESTS ?? 300);
  const rows = await classifierCost();
  const bundles = await ensureBundles();
  const { createDatabase, createReader } = await benchServices();

  const dbUrl = await createDatabase('sql');
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: dbUrl });
  await admin.connect();
  await admin.query(
    `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g`,
  );
  await admin.end();
  const readerUrl = await createReader(dbUrl);

  const { startEmbeddedDynamo } = await import('../../lib/local/embedded-dynamo.js');
  const dynamo = await startEmbeddedDynamo({});
  const dataDir = mkdtempSync(join(tmpdir(), 'semaia-bench-sql-'));
  const saved = { ...process.env };
  try {
    Object.assign(process.env, {
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TABLE_NAME: 'semaia-bench-sql',
      DATA_DIR: dataDir,
    });
    const { resetDocumentClient } = await import('../../lib/store/client.js');
    resetDocumentClient();
    const { ensureTable } = await import('../../lib/store/setup.js');
    await ensureTable();
    const { createConnector } = await import('../../lib/store/connectors.js');
    const connector = await createConnector(USER, {
      name: 'bench sql',
      ...parsePostgresUrl(readerUrl, 'disable'),
    });
    const event = queryEvent(connector.id, 'select id, label from items where id <= 10 order by id');

    const { LOG_LEVEL: _quiet, AWS_LAMBDA_FUNCTION_NAME: _fn, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      SEMAIA_LOCAL: '1',
      LOG_LEVEL: 'silent',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      NODE_OPTIONS: '',
    };
    const child = resolve('tests/bench/cold-child.mjs');
    const variants = [
      { name: 'baseline', args: ['-e', '0'] },
      { name: 'query', args: [child, bundles.api, event] },
      { name: 'parser', args: ['--input-type=module', '-e', PARSER_LOAD] },
    ];
    const results = new Map<string, { ms: number; report?: Record<string, unknown> }[]>(
      variants.map((v) => [v.name, []]),
    );
    for (const v of variants) await runTimed(v.args, env); // warm the OS file cache
    for (let i = 0; i < runs; i++) {
      for (const v of variants) {
        const run = await runTimed(v.args, env);
        if (run.code !== 0)
          throw new Error(`${v.name}: exited with ${run.code}: ${run.stderr.slice(0, 400)}`);
        results.get(v.name)!.push(run);
      }
    }
    const med = (name: string, pick: (r: { ms: number; report?: Record<string, unknown> }) => number) =>
      median(results.get(name)!.map(pick));
    const base = med('baseline', (r) => r.ms);
    const ms = (n: number) => `${round(n, 1)} ms`;
    rows.push(
      info(
        PART,
        'parser load in a fresh process',
        ms(med('parser', (r) => Number(r.report?.loadMs))),
        'import libpg-query + WASM instantiation',
      ),
      info(
        PART,
        'first POST /query, over node -e 0',
        ms(med('query', (r) => r.ms) - base),
        `import ${ms(med('query', (r) => Number(r.report?.importMs)))} + request ${ms(med('query', (r) => Number(r.report?.requestMs)))} (pg + parser load + connect + query); median of ${runs}`,
      ),
    );

    const cpu = async (bundle: string) => {
      const run = await runTimed(
        [resolve('tests/bench/cpu-child.mjs'), bundles.runtime, bundle, event, String(requests), '3'],
        env,
        600_000,
      );
      if (run.code !== 0 || !run.report) throw new Error(`cpu child failed: ${run.stderr.slice(0, 600)}`);
      return Math.min(...(run.report.cpuUs as number[])) / 1000;
    };
    const withParser = await cpu(bundles.api);
    const withoutParser = await cpu(bundles.apiNoParser);
    rows.push(
      info(
        PART,
        'POST /query CPU per request',
        `${round(withParser, 3)} ms`,
        `best of 3 × ${requests}, built bundle`,
      ),
      info(
        PART,
        'POST /query CPU per request, classifier replaced by a pass-through',
        `${round(withoutParser, 3)} ms`,
        `the parser's share: ${round(withParser - withoutParser, 3)} ms`,
      ),
    );
    return rows;
  } finally {
    await dynamo.close();
    rmSync(dataDir, { recursive: true, force: true });
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    const { resetDocumentClient } = await import('../../lib/store/client.js');
    resetDocumentClient();
  }
}

/** Loads the parser as the SQL routes do, and reports how long it took. */
const PARSER_LOAD = `
const t = performance.now();
const m = await import('libpg-query');
await m.loadModule();
process.stderr.write(JSON.stringify({ loadMs: performance.now() - t }) + '\\n');
`;
