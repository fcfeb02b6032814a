/**
 * Scale of data, through the real API behind the shim:
 *   - GET /connectors/{id}/inspect on a database with 2,000 tables (each with a primary key, a foreign key
 *     to another table, an index and a comment);
 *   - GET /chats (one page) for a user with 10,000 chats, stored with the store's own createChat.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import pg from 'pg';
import { benchServices } from './services.js';
import { median, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'scale';
const ms = (n: number) => `${round(n, 1)} ms`;

async function timeRequests(n: number, fn: () => Promise<void>): Promise<{ first: number; median: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { first: times[0]!, median: median(times.slice(1)) };
}

async function inspectManyTables(tables: number): Promise<Row[]> {
  const { api, createDatabase, createReader } = await benchServices();
  const url = await createDatabase('wide');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ddl: string[] = [];
    for (let i = 0; i < tables; i++) {
      const fk = i > 0 ? `, parent_id int REFERENCES t${i - 1}(id)` : '';
      ddl.push(
        `CREATE TABLE t${i} (id int PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now()${fk});`,
        `CREATE INDEX t${i}_name ON t${i}(name);`,
        `COMMENT ON TABLE t${i} IS 'table number ${i}';`,
      );
    }
    const t = performance.now();
    await client.query(ddl.join('\n')); // simple protocol: one round trip for all statements
    const createMs = performance.now() - t;
    const created = await api.request('POST', '/connectors', {
      user: 'scale-user',
      body: { name: 'Wide', ...parsePostgresUrl(await createReader(url), 'disable') },
    });
    if (created.status !== 201) throw new Error(`connector: HTTP ${created.status} ${created.text}`);
    const id = created.json.connector.id as string;
    let relations = 0;
    let truncated: unknown;
    let bytes = 0;
    const timing = await timeRequests(6, async () => {
      const res = await api.request('GET', `/connectors/${id}/inspect`, { user: 'scale-user' });
      if (res.status !== 200) throw new Error(`inspect: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      const schemas = (res.json.schemas ?? []) as { relations?: unknown[]; tables?: unknown[] }[];
      relations = schemas.reduce((n, s) => n + (s.relations ?? s.tables ?? []).length, 0);
      truncated = res.json.truncated;
      bytes = res.text.length;
    });
    return [
      info(PART, `create ${tables} tables`, ms(createMs), 'one multi-statement DDL batch'),
      check(
        PART,
        `inspect ${tables} tables (median)`,
        ms(timing.median),
        '< 1000 ms (issue 4)',
        timing.median < 1000 && relations === tables,
        `first ${ms(timing.first)}; ${relations} relations, truncated ${String(truncated)}, ${round(bytes / 1024, 0)} KB JSON`,
      ),
    ];
  } finally {
    await client.end();
  }
}

async function manyChats(count: number): Promise<Row[]> {
  const { api, connectorId } = await benchServices();
  const { createChat } = await import('../../lib/store/chats.js');
  const uid = 'scale-chats-user';
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      while (next < count) {
        const i = next++;
        await createChat(uid, { connectorId, title: `Chat number ${i}` });
      }
    }),
  );
  const seedMs = performance.now() - t;
  let returned = 0;
  let hasCursor = false;
  const page = await timeRequests(21, async () => {
    const res = await api.request('GET', '/chats', { user: uid });
    if (res.status !== 200) throw new Error(`GET /chats: HTTP ${res.status}`);
    returned = (res.json.chats ?? res.json.items ?? []).length;
    hasCursor = Boolean(res.json.cursor ?? res.json.nextCursor);
  });
  if (returned === 0 || !hasCursor)
    throw new Error(`GET /chats returned ${returned} chats, cursor ${hasCursor}`);
  const big = await timeRequests(11, async () => {
    const res = await api.request('GET', '/chats?limit=100', { user: uid });
    if (res.status !== 200) throw new Error(`GET /chats?limit=100: HTTP ${res.status}`);
  });
  return [
    info(
      PART,
      `store ${count} chats for one user`,
      `${round(seedMs / 1000, 1)} s`,
      'createChat, 25 at a time, dynalite',
    ),
    info(
      PART,
      `GET /chats, ${count} chats (median)`,
      ms(page.median),
      `first ${ms(page.first)}; one page of ${returned} + cursor; limit=100: ${ms(big.median)}`,
    ),
  ];
}

export async function scale(opts: { tables?: number; chats?: number } = {}): Promise<Row[]> {
  const tables = opts.tables ?? Number(process.env.BENCH_TABLES ?? 2_000);
  const chats = opts.chats ?? Number(process.env.BENCH_CHATS ?? 10_000);
  return [...(await inspectManyTables(tables)), ...(await manyChats(chats))];
}
