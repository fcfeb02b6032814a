/**
 * Cold start, measured side by side in one run: fresh `node` processes (tests/bench/cold-child.mjs) that
 * import a bundle and answer one request, wall time spawn → exit, interleaved round-robin and reported as
 * medians. Compared with `node -e 0`, with a reference bundle holding only the DynamoDB document client,
 * and with an "eager" bundle importing every dependency at start. The model SDK's first-use cost is the
 * time to import its chunk in a process that has already answered GET /chats. The esbuild metafile shows
 * what each route loads.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { BENCH_DIR, ensureBundles } from './bundles.js';
import { runTimed, type TimedRun } from './spawn-timed.js';
import { median, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'cold-start';
const CHILD = resolve('tests/bench/cold-child.mjs');

function writeEvents(): { health: string; chats: string } {
  const dir = resolve(BENCH_DIR, 'events');
  mkdirSync(dir, { recursive: true });
  const base = JSON.parse(readFileSync(resolve('tests/events/function-url-health.json'), 'utf8')) as Record<
    string,
    any
  >;
  const chats = structuredClone(base);
  chats.rawPath = '/chats';
  chats.requestContext.http.path = '/chats';
  chats.headers['x-user-uid'] = 'bench-user';
  const health = resolve(dir, 'health.json');
  const chatsFile = resolve(dir, 'chats.json');
  writeFileSync(health, JSON.stringify(base));
  writeFileSync(chatsFile, JSON.stringify(chats));
  return { health, chats: chatsFile };
}

// ---- what the bundle loads, from the esbuild metafile ----

const HEAVY = [
  '@google/genai',
  'pg',
  'zod',
  '@aws-sdk/client-kms',
  '@aws-sdk/client-ssm',
  'google-auth-library',
  'libpg-query',
];

function packageOf(input: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m?.[1];
}

/** Outputs loaded with `file` by static imports (what importing it costs, before any dynamic import). */
function staticClosure(meta: Metafile, file: string): string[] {
  const seen = new Set<string>([file]);
  const queue = [file];
  while (queue.length) {
    const out = meta.outputs[queue.pop()!];
    for (const imp of out?.imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external && !seen.has(imp.path)) {
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  return [...seen];
}

function describeClosure(meta: Metafile, files: string[]): { kb: number; heavy: string[] } {
  let bytes = 0;
  const packages = new Set<string>();
  for (const f of files) {
    bytes += meta.outputs[f]?.bytes ?? 0;
    for (const input of Object.keys(meta.outputs[f]?.inputs ?? {})) {
      const pkg = packageOf(input);
      if (pkg) packages.add(pkg);
    }
  }
  return { kb: round(bytes / 1024, 0), heavy: HEAVY.filter((p) => packages.has(p)) };
}

/** The output chunk that holds a route module (e.g. handlers/chats.ts), found by its input. */
function chunkWithInput(meta: Metafile, inputSuffix: string): string | undefined {
  return Object.keys(meta.outputs).find(
    (f) => !f.endsWith('.map') && Object.keys(meta.outputs[f]!.inputs).some((i) => i.endsWith(inputSuffix)),
  );
}

function largestInputs(meta: Metafile, files: string[], n: number): string {
  const byPkg = new Map<string, number>();
  for (const f of files) {
    for (const [input, { bytesInOutput }] of Object.entries(meta.outputs[f]?.inputs ?? {})) {
      const key = packageOf(input) ?? 'project';
      byPkg.set(key, (byPkg.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...byPkg]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${round(v / 1024, 0)} KB`)
    .join(', ');
}

// ---- the runs ----

interface Variant {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

async function measure(variants: Variant[], runs: number): Promise<Map<string, TimedRun[]>> {
  const results = new Map<string, TimedRun[]>(variants.map((v) => [v.name, []]));
  // One untimed run each first: fills the OS file cache, as a warm Lambda host would have it.
  for (const v of variants) await runTimed(v.args, v.env);
  for (let i = 0; i < runs; i++) {
    for (const v of variants) {
      const run = await runTimed(v.args, v.env);
      if (run.code !== 0)
        throw new Error(`${v.name}: child exited with ${run.code}: ${run.stderr.slice(0, 500)}`);
      results.get(v.name)!.push(run);
    }
  }
  return results;
}

export async function coldStart(opts: { runs?: number } = {}): Promise<Row[]> {
  const runs = opts.runs ?? Number(process.env.BENCH_COLD_RUNS ?? 15);
  const bundles = await ensureBundles();
  const events = writeEvents();
  const meta = bundles.apiMetafile;
  const rel = (p: string) => relative(process.cwd(), p);

  const { startEmbeddedDynamo } = await import('../../lib/local/embedded-dynamo.js');
  const dynamo = await startEmbeddedDynamo({});
  const tableName = 'semaia-bench-cold';
  const saved = { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, TABLE_NAME: process.env.TABLE_NAME };
  try {
    process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    process.env.TABLE_NAME = tableName;
    const { resetDocumentClient } = await import('../../lib/store/client.js');
    resetDocumentClient();
    const { ensureTable } = await import('../../lib/store/setup.js');
    await ensureTable();

    const { LOG_LEVEL: _quiet, ...inherited } = process.env;
    const lambdaEnv: NodeJS.ProcessEnv = {
      ...inherited,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TABLE_NAME: tableName,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_LAMBDA_FUNCTION_NAME: 'semaia-bench',
      NODE_OPTIONS: '',
    };
    delete lambdaEnv.SEMAIA_LOCAL;

    const genaiChunk = chunkWithInput(meta, '@google/genai/dist/node/index.mjs');
    const variants: Variant[] = [
      { name: 'node -e 0', args: ['-e', '0'], env: lambdaEnv },
      { name: 'ref: empty handler', args: [CHILD, bundles.refEmpty, events.health], env: lambdaEnv },
      { name: 'GET /health', args: [CHILD, bundles.api, events.health], env: lambdaEnv },
      { name: 'GET /chats', args: [CHILD, bundles.api, events.chats], env: lambdaEnv },
      { name: 'ref: DynamoDB client only', args: [CHILD, bundles.refDynamo, events.chats], env: lambdaEnv },
      { name: 'ref: eager (all deps)', args: [CHILD, bundles.refEager, events.chats], env: lambdaEnv },
    ];
    if (genaiChunk) {
      variants.push({
        name: 'model SDK chunk',
        args: [CHILD, bundles.api, events.chats, resolve(genaiChunk)],
        env: lambdaEnv,
      });
    }
    const results = await measure(variants, runs);
    const med = (name: string) => median(results.get(name)!.map((r) => r.ms));
    const base = med('node -e 0');
    const health = med('GET /health') - base;
    const chats = med('GET /chats') - base;
    const refDynamo = med('ref: DynamoDB client only') - base;
    const refEager = med('ref: eager (all deps)') - base;
    const ms = (n: number) => `${round(n, 1)} ms`;
    /** Where a child's time went: importing the bundle, then answering the one request. */
    const split = (name: string) => {
      const r = results.get(name)!.map((x) => x.report ?? {});
      return `import ${ms(median(r.map((x) => Number(x.importMs))))} + request ${ms(median(r.map((x) => Number(x.requestMs))))}`;
    };

    const floor = med('ref: empty handler') - base;
    const rows: Row[] = [
      info(PART, 'node -e 0 (baseline)', ms(base), `median of ${runs} fresh processes`),
      info(
        PART,
        'harness floor: empty handler, over baseline',
        ms(floor),
        'ESM child + stand-in runtime, no deps',
      ),
      check(PART, 'GET /health over baseline', ms(health), '≤ 30 ms', health <= 30, split('GET /health')),
      info(
        PART,
        'ref: DynamoDB doc client only, over baseline',
        ms(refDynamo),
        split('ref: DynamoDB client only'),
      ),
      info(PART, 'ref: eager bundle, over baseline', ms(refEager), split('ref: eager (all deps)')),
      check(
        PART,
        'GET /chats over baseline',
        ms(chats),
        `≤ ref + 15 = ${ms(refDynamo + 15)}`,
        chats <= refDynamo + 15,
        `${split('GET /chats')}; ${ms(chats - refDynamo)} vs ref`,
      ),
      check(
        PART,
        'GET /chats vs eager extra cost',
        `${round((chats / refEager) * 100, 0)}%`,
        '≤ 50% of eager',
        chats <= refEager / 2,
      ),
    ];

    if (genaiChunk) {
      const chunkMs = median(results.get('model SDK chunk')!.map((r) => Number(r.report?.chunkMs ?? NaN)));
      const closure = describeClosure(meta, staticClosure(meta, genaiChunk));
      rows.push(
        info(
          PART,
          'model SDK first import (after GET /chats)',
          ms(chunkMs),
          `${rel(genaiChunk).replace(/^.*chunks\//, 'chunk ')}, ${closure.kb} KB closure`,
        ),
      );
    } else {
      rows.push(info(PART, 'model SDK chunk', 'not found', 'no output holds @google/genai'));
    }

    // What the entry and the two measured routes load statically (dynamic imports excluded).
    const entry = Object.keys(meta.outputs).find((f) => f.endsWith('/index.mjs'))!;
    const indexClosure = staticClosure(meta, entry);
    const idx = describeClosure(meta, indexClosure);
    rows.push(
      check(
        PART,
        'index.mjs loads no heavy package',
        `${idx.kb} KB${idx.heavy.length ? `, ${idx.heavy.join(' ')}` : ''}`,
        'none of genai/pg/zod/kms/ssm/parser',
        idx.heavy.length === 0,
      ),
    );
    // Routes that only read the store: GET /chats, and the events route (a reconnect at every hand-over).
    for (const [route, input] of [
      ['GET /chats', 'handlers/chats.ts'],
      ['GET …/events', 'handlers/events.ts'],
    ] as const) {
      const chunk = chunkWithInput(meta, input);
      if (!chunk) continue;
      const files = [...new Set([...indexClosure, ...staticClosure(meta, chunk)])];
      const c = describeClosure(meta, files);
      rows.push(
        check(
          PART,
          `${route} loads no genai/pg/zod/parser`,
          `${c.kb} KB${c.heavy.length ? `, ${c.heavy.join(' ')}` : ''}`,
          'DynamoDB client only',
          c.heavy.length === 0,
          largestInputs(meta, files, 3),
        ),
      );
    }
    const sqlRoute = chunkWithInput(meta, 'handlers/sql.ts');
    if (sqlRoute) {
      const c = describeClosure(meta, staticClosure(meta, sqlRoute));
      rows.push(
        check(
          PART,
          'SQL route chunk: parser not static',
          `${c.kb} KB${c.heavy.length ? `, ${c.heavy.join(' ')}` : ''}`,
          'libpg-query loaded on first statement',
          !c.heavy.includes('libpg-query'),
        ),
      );
    }
    const conversation = chunkWithInput(meta, 'handlers/conversation.ts');
    if (conversation) {
      const c = describeClosure(meta, staticClosure(meta, conversation));
      rows.push(
        check(
          PART,
          'chat route chunk: model SDK not static',
          `${c.kb} KB${c.heavy.length ? `, ${c.heavy.join(' ')}` : ''}`,
          'genai loaded on first use',
          !c.heavy.includes('@google/genai'),
        ),
      );
    }
    return rows;
  } finally {
    await dynamo.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
