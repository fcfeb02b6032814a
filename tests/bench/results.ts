/**
 * Bounded query results, through the built API alone in its own process behind the shim (serve-child.mjs):
 * the highest RSS of that process above its resting RSS while it answers
 *   (a) a query of 10,000 rows of 10 KB (→ 200, truncatedReason "bytes"),
 *   (b) a query returning one 200 MB value (→ 400 naming SQL_MAX_ROW_BYTES),
 *   (c) a 1,000,000-row CSV export (read to the end by the client),
 * and the export's throughput and time to first byte.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { startServeChild, type ServeChild } from './serve.js';
import { benchServices, BENCH_USER } from './services.js';
import { mb, round } from './stats.js';
import { check, info, type Row } from './table.js';

const PART = 'results';
const RSS_TARGET = 64 * 1024 * 1024;

interface Reading {
  status: number;
  bytes: number;
  firstByteMs: number;
  totalMs: number;
  /** The body when it is small (a JSON reply's summary or an error). */
  head: string;
}

/** Posts a query and reads the whole body, keeping only its first and last bytes. */
async function post(server: ServeChild, id: string, body: unknown, accept?: string): Promise<Reading> {
  const started = performance.now();
  const res = await fetch(`${server.url}/connectors/${id}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-uid': BENCH_USER, ...(accept ? { accept } : {}) },
    body: JSON.stringify(body),
  });
  let bytes = 0;
  let firstByteMs = 0;
  let head = '';
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += chunk.length;
    const text = decoder.decode(chunk, { stream: true });
    if (head.length < 300) head += text.slice(0, 300 - head.length);
    tail = (tail + text).slice(-300);
  }
  return { status: res.status, bytes, firstByteMs, totalMs: performance.now() - started, head: head + tail };
}

/** The reading, the peak RSS above the resting RSS, and the peak heap in use. */
async function measure(server: ServeChild, run: () => Promise<Reading>): Promise<[Reading, number, number]> {
  const before = (await server.memory()).rss;
  let reading: Reading | undefined;
  const peak = await server.peakRss(async () => {
    reading = await run();
  });
  return [reading!, peak.rss - before, peak.heapUsed];
}

export async function results(): Promise<Row[]> {
  const { api, createDatabase, createReader } = await benchServices();
  const url = await createDatabase('results');
  const created = await api.request('POST', '/connectors', {
    user: BENCH_USER,
    body: { name: 'Results', ...parsePostgresUrl(await createReader(url), 'disable') },
  });
  if (created.status !== 201) throw new Error(`connector: HTTP ${created.status} ${created.text}`);
  const id = created.json.connector.id as string;

  const server = await startServeChild();
  try {
    // Warm-up: loads the route's chunk and pg, and opens the store's connections.
    for (let i = 0; i < 5; i++) await post(server, id, { sql: 'SELECT g FROM generate_series(1, 1000) g' });

    const [wide, wideRss] = await measure(server, () =>
      post(server, id, {
        sql: 'SELECT g, repeat(md5(g::text), 320) FROM generate_series(1, 10000) g',
        limit: 10_000,
      }),
    );
    const wideSummary = /"rowCount":(\d+),"truncated":(true|false)(?:,"truncatedReason":"(\w+)")?/.exec(
      wide.head,
    );
    const [huge, hugeRss] = await measure(server, () =>
      post(server, id, { sql: `SELECT repeat('x', 200 * 1024 * 1024) AS v` }),
    );
    const [csv, csvRss, csvHeap] = await measure(server, () =>
      post(
        server,
        id,
        {
          sql: `SELECT g, md5(g::text), TIMESTAMP '2024-01-01' + g * INTERVAL '1 second' FROM generate_series(1, 1000000) g`,
        },
        'text/csv',
      ),
    );
    const csvLines = csv.head.endsWith('\r\n') ? 'complete' : 'cut';

    return [
      check(
        PART,
        '10,000 rows of 10 KB: RSS above rest',
        `${mb(wideRss)} MB`,
        '< 64 MB; 200 "bytes"',
        wideRss < RSS_TARGET && wide.status === 200 && wideSummary?.[3] === 'bytes',
        `HTTP ${wide.status}, ${wideSummary?.[1]} rows, truncatedReason ${wideSummary?.[3]}, ${mb(wide.bytes)} MB in ${round(wide.totalMs, 0)} ms`,
      ),
      check(
        PART,
        'one 200 MB value: RSS above rest',
        `${mb(hugeRss)} MB`,
        '< 64 MB; 400 naming the cap',
        hugeRss < RSS_TARGET && huge.status === 400 && huge.head.includes('SQL_MAX_ROW_BYTES'),
        `HTTP ${huge.status} in ${round(huge.totalMs, 0)} ms: ${huge.head.slice(0, 90)}`,
      ),
      check(
        PART,
        '1,000,000-row CSV export: RSS above rest',
        `${mb(csvRss)} MB`,
        '< 64 MB',
        csvRss < RSS_TARGET && csv.status === 200 && csvLines === 'complete',
        `HTTP ${csv.status}, ${mb(csv.bytes)} MB, ${csvLines}; heap in use peaked at ${mb(csvHeap)} MB`,
      ),
      info(
        PART,
        'CSV export throughput',
        `${round(csv.bytes / (1024 * 1024) / (csv.totalMs / 1000), 1)} MB/s`,
        `${round(csv.totalMs / 1000, 1)} s for ${mb(csv.bytes)} MB (client, shim, API and PostgreSQL on one machine)`,
      ),
      info(
        PART,
        'CSV export time to first byte',
        `${round(csv.firstByteMs, 0)} ms`,
        'request sent → first body byte',
      ),
    ];
  } finally {
    await server.stop();
  }
}
