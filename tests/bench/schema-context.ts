/**
 * `schema-context`: does the model receive the tables a question needs?
 *   - On real schemas (tests/fixtures/schemas: AdventureWorks, 157 relations; and "samples", Pagila, Chinook,
 *     Northwind and three small datasets beside archive/audit/documentation copies, with AdventureWorks
 *     loaded next to them: 223 relations), each question goes through the real chat route (API behind the
 *     shim, real SDK, scripted Gemini server) and the context is read from the request body that reached
 *     the Gemini-protocol server. Per-table recall: the gold table's full line with every column its gold
 *     SQL reads. Next to it, the alphabetical summary Semaia sent before (baseline.ts).
 *   - On synthetic schemas of 500 and 5,000 tables: the ranking time per message, the index build, and the
 *     stored index (size, parts, DynamoDB save and cold load).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { schemaContextFrom, SCHEMA_SUMMARY_BUDGET } from '../../lib/model/schema.js';
import { prepareRanking } from '../../lib/model/schema/rank.js';
import { buildSchemaIndex, INDEX_FORMAT } from '../../lib/model/schema/relations.js';
import { inspectSchema } from '../../lib/postgres/inspect.js';
import { loadSchemaIndex, PART_BYTES, saveSchemaIndex } from '../../lib/store/schema-index.js';
import { readSse } from '../support/sse-client.js';
import { alphabeticalSummary } from './schema-context/baseline.js';
import { goldOf, type Catalog, type Gold } from './schema-context/gold.js';
import { recallOf } from './schema-context/recall.js';
import { syntheticSchema } from './schema-context/synthetic.js';
import { BENCH_USER, benchServices } from './services.js';
import { median, quantile, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'schema-context';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'schemas');
const pct = (n: number) => `${round(100 * n, 1)}%`;
const ms = (n: number) => `${round(n, 2)} ms`;

interface Question {
  id: string;
  question: string;
  sql: string;
  tables: Gold;
}

const questionsOf = (name: string): Question[] =>
  readFileSync(join(FIXTURES, name, 'questions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Question);

/** Runs a schema-only fixture (psql meta-commands dropped) as one batch on its own connection. */
async function load(url: string, fixture: string): Promise<void> {
  const sql = readFileSync(join(FIXTURES, fixture, 'schema.sql'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('\\'))
    .join('\n');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Every gold SQL must run on the loaded schema, and its listed tables must be what its parse tree reads. */
async function checkGold(url: string, questions: Question[]): Promise<{ run: number; parsed: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string; cols: string[] }>(
      `SELECT n.nspname || '.' || c.relname AS t, array_agg(a.attname::text) AS cols
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') GROUP BY 1`,
    );
    const catalog: Catalog = new Map(rows.map((r) => [r.t, new Set(r.cols)]));
    let run = 0;
    let parsed = 0;
    const canonical = (g: Gold) => JSON.stringify(Object.entries(g).sort(([a], [b]) => a.localeCompare(b)));
    for (const q of questions) {
      if (
        await client.query(q.sql).then(
          () => true,
          () => false,
        )
      )
        run++;
      if (canonical(await goldOf(q.sql, catalog)) === canonical(q.tables)) parsed++;
    }
    return { run, parsed };
  } finally {
    await client.end();
  }
}

/** The schema text of the first model request of each question's chat, through the real chat route. */
async function contextsThroughChat(url: string, questions: Question[]): Promise<string[]> {
  const { api, gemini } = await benchServices();
  const created = await api.request('POST', '/connectors', {
    user: BENCH_USER,
    body: { name: 'Schema bench', ...parsePostgresUrl(url, 'disable') },
  });
  if (created.status !== 201) throw new Error(`connector: HTTP ${created.status} ${created.text}`);
  const id = created.json.connector.id as string;
  const contexts: string[] = [];
  for (const q of questions) {
    gemini.reset();
    gemini.script({ chunks: ['ok'] });
    const res = await api.fetch('POST', `/connectors/${id}/chats`, {
      user: BENCH_USER,
      body: { message: q.question },
    });
    if (res.status !== 200) throw new Error(`chat: HTTP ${res.status} ${await res.text()}`);
    await readSse(res);
    const system = String(gemini.requests[0]?.body.systemInstruction?.parts?.[0]?.text ?? '');
    contexts.push(system.slice(system.indexOf('Database schema:\n') + 'Database schema:\n'.length));
  }
  return contexts;
}

/** Milliseconds per message to rank and render the context (warm: one round first, then three timed). */
function rankingTimes(ranked: ReturnType<typeof prepareRanking>, questions: string[]): number[] {
  for (const question of questions) schemaContextFrom(ranked, { question });
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const question of questions) {
      const t = performance.now();
      schemaContextFrom(ranked, { question });
      times.push(performance.now() - t);
    }
  }
  return times;
}

async function realSchema(name: string, fixtures: string[], questionFile: string): Promise<Row[]> {
  const { createDatabase, createReader } = await benchServices();
  const url = await createDatabase(name.replace(/\W/g, '_'));
  for (const f of fixtures) await load(url, f);
  // The connector logs in as a read-only role, as Semaia requires (privileged roles are refused).
  const reader = await createReader(url);
  const questions = questionsOf(questionFile);
  const gold = await checkGold(url, questions);
  const contexts = await contextsThroughChat(reader, questions);

  const info0 = await inspectSchema(parsePostgresUrl(reader, 'disable'), { maxRelations: 20_000 });
  const ranked = prepareRanking(buildSchemaIndex(info0), ['public']);
  const times = rankingTimes(
    ranked,
    questions.map((q) => q.question),
  );
  const baselineText = alphabeticalSummary(
    await inspectSchema(parsePostgresUrl(reader, 'disable')),
    SCHEMA_SUMMARY_BUDGET,
  );

  const score = (texts: string[], lenient: boolean) => {
    let tables = 0;
    let present = 0;
    let complete = 0;
    const missed: string[] = [];
    questions.forEach((q, i) => {
      const r = recallOf(texts[i]!, q.tables, lenient);
      tables += r.tables;
      present += r.present;
      if (r.missing.length === 0) complete++;
      else missed.push(`${q.id}: ${r.missing.join(' ')}`);
    });
    return { recall: present / tables, all: complete / questions.length, missed };
  };
  const ours = score(contexts, false);
  const base = score(
    questions.map(() => baselineText),
    true,
  );
  const sizes = contexts.map((c) => c.length);
  return [
    info(
      PART,
      `${name}: schema and questions`,
      `${ranked.search.relations.length} relations, ${questions.length} questions`,
      `gold SQL: ${gold.run}/${questions.length} run on the loaded schema, ${gold.parsed}/${questions.length} list exactly the tables/columns of their parse tree`,
    ),
    check(
      PART,
      `${name}: per-table recall`,
      pct(ours.recall),
      '≥ 95%',
      ours.recall >= 0.95,
      `alphabetical baseline: ${pct(base.recall)}`,
    ),
    check(
      PART,
      `${name}: questions with every gold table`,
      pct(ours.all),
      '≥ 90%',
      ours.all >= 0.9,
      `alphabetical baseline: ${pct(base.all)}`,
    ),
    info(
      PART,
      `${name}: context size`,
      `${Math.round(median(sizes))} chars`,
      `median of the schema text the model received (max ${Math.max(...sizes)}, budget ${SCHEMA_SUMMARY_BUDGET}); baseline ${baselineText.length}`,
    ),
    info(
      PART,
      `${name}: ranking per message`,
      ms(median(times)),
      `p95 ${ms(quantile(times, 0.95))}; rank + render, index in memory`,
    ),
    info(PART, `${name}: questions missed`, String(ours.missed.length), ours.missed.join('; ').slice(0, 200)),
  ];
}

async function synthetic(tables: number, targetMs: number): Promise<Row[]> {
  const { info: catalog, questions } = syntheticSchema(tables);
  let t = performance.now();
  const index = buildSchemaIndex(catalog);
  const buildMs = performance.now() - t;
  t = performance.now();
  const ranked = prepareRanking(index, ['public']);
  const prepareMs = performance.now() - t;
  const times = rankingTimes(ranked, questions);
  const sizes = questions.map((q) => schemaContextFrom(ranked, { question: q }).summary.length);

  await benchServices(); // the store of the bench API (dynalite, through the real SDK)
  const packed = gzipSync(JSON.stringify(index)).length;
  const stored = {
    version: 'v1',
    format: INDEX_FORMAT,
    fingerprint: 'f',
    searchPath: ['public'],
    verifiedAt: 0,
  };
  t = performance.now();
  const saved = await saveSchemaIndex('bench-schema', `synthetic-${tables}`, { ...stored, document: index });
  const saveMs = performance.now() - t;
  t = performance.now();
  const loaded = await loadSchemaIndex<typeof index>('bench-schema', `synthetic-${tables}`);
  prepareRanking(loaded!.document, loaded!.searchPath);
  const coldMs = performance.now() - t;
  const label = `synthetic ${tables.toLocaleString('en')} tables`;
  return [
    check(
      PART,
      `${label}: ranking per message`,
      ms(median(times)),
      `< ${targetMs} ms`,
      median(times) < targetMs,
      `p95 ${ms(quantile(times, 0.95))}; ${questions.length} questions × 3, context ${Math.round(median(sizes))} chars`,
    ),
    info(
      PART,
      `${label}: index built (once per connector version)`,
      ms(buildMs + prepareMs),
      `from inspect data ${ms(buildMs)}, search structures ${ms(prepareMs)}`,
    ),
    info(
      PART,
      `${label}: stored index`,
      `${round(packed / 1024, 0)} KB gzip`,
      `${saved.parts} item(s) of ≤ ${PART_BYTES / 1000} KB; DynamoDB save ${ms(saveMs)}, cold load + prepare ${ms(coldMs)}`,
    ),
  ];
}

export async function schemaContext(): Promise<Row[]> {
  return [
    ...(await realSchema('AdventureWorks', ['adventureworks'], 'adventureworks')),
    ...(await realSchema('samples', ['samples', 'adventureworks'], 'samples')),
    ...(await synthetic(500, 5)),
    ...(await synthetic(5_000, 50)),
  ];
}
