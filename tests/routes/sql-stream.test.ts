/**
 * POST /connectors/{id}/query as a stream, over real HTTP through the shim: exact JSON values in the reply,
 * the byte budget, the row cap, CSV and NDJSON exports that start before the query ends, and failures after
 * the first byte that leave the client with an incomplete body.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let api: TestApi;
let db: TestDatabase;
let id: string;

beforeAll(async () => {
  db = await createTestDatabase('routes_sql_stream');
  await db.query(`
    CREATE TABLE docs (id int PRIMARY KEY, body jsonb, amount numeric, tags text[]);
    INSERT INTO docs VALUES (1, '{"n": 12345678901234567890, "x": [1.10, 2]}', 12345678901234567890.1, '{a,"b,c",NULL}'),
                            (2, NULL, NULL, '{}');
  `);
  api = await startTestApi();
  const res = await api.request('POST', '/connectors', {
    body: { name: 'docs', url: `${await db.readerUrl()}?sslmode=disable` },
  });
  id = res.json.connector.id;
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const query = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  api.request('POST', `/connectors/${id}/query`, { body, headers });

/** The raw response over node:http: status, headers, body text, and whether the body ended properly. */
function rawPost(
  body: Record<string, unknown>,
  onFirstChunk?: () => Promise<void>,
): Promise<{ status: number; headers: Record<string, unknown>; text: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${api.url}/connectors/${id}/query`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-uid': 'user-a' } },
      (res) => {
        const chunks: Buffer[] = [];
        let first = true;
        let paused: Promise<void> = Promise.resolve();
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          if (first && onFirstChunk) {
            first = false;
            res.pause();
            paused = onFirstChunk().finally(() => res.resume());
          }
        });
        const done = () =>
          void paused.then(() =>
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              complete: res.complete,
            }),
          );
        res.on('end', done);
        res.on('error', done); // aborted mid-body
        res.on('close', done);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the JSON reply', () => {
  it('embeds json as the server wrote it and keeps numbers exact', async () => {
    const res = await query({ sql: 'SELECT body, amount, tags FROM docs ORDER BY id' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.text).toContain(
      '[{"n": 12345678901234567890, "x": [1.10, 2]},"12345678901234567890.1",["a","b,c",null]]',
    );
    expect(res.json).toMatchObject({
      columns: [
        { name: 'body', type: 'jsonb' },
        { name: 'amount', type: 'numeric' },
        { name: 'tags', type: 'text[]' },
      ],
      rowCount: 2,
      truncated: false,
    });
    expect(res.json.truncatedReason).toBeUndefined();
  });

  it('10,000 rows of 10 KB: 200 with truncatedReason "bytes", within the 8 MiB budget', async () => {
    const res = await query({
      sql: 'SELECT g, repeat(md5(g::text), 320) FROM generate_series(1, 10000) g',
      limit: 10_000,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ truncated: true, truncatedReason: 'bytes' });
    expect(res.json.rowCount).toBe(res.json.rows.length);
    expect(JSON.stringify(res.json.rows).length).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(JSON.stringify(res.json.rows).length).toBeGreaterThan(8 * 1024 * 1024 - 11_000);
  });

  it('takes a per-request budget up to 32 MiB, and refuses more', async () => {
    const res = await query({
      sql: 'SELECT repeat(md5(g::text), 32) FROM generate_series(1, 100) g',
      maxBytes: 5_000,
    });
    expect(res.json).toMatchObject({ truncated: true, truncatedReason: 'bytes' });
    expect(res.json.rowCount).toBe(4); // each row is ["<1024 characters>"]: 1,028 bytes and a comma
    const big = await query({ sql: 'SELECT 1', maxBytes: 32 * 1024 * 1024 + 1 });
    expect(big.status).toBe(400);
    expect(big.json.error).toMatchObject({ code: 'IncorrectSignature', field: 'maxBytes' });
  });

  it('placeholders → 400 SqlError, parameters are not supported', async () => {
    const res = await query({ sql: 'SELECT * FROM docs WHERE id = $1' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'SqlError' });
    expect(res.json.error.message).toMatch(/^Parameters .* not supported/);
  });

  it('a row over SQL_MAX_ROW_BYTES → 400 that names the cap', async () => {
    process.env.SQL_MAX_ROW_BYTES = String(1024 * 1024);
    try {
      const res = await query({ sql: `SELECT repeat('x', 3000000) AS big` });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('SqlError');
      expect(res.json.error.message).toMatch(
        /larger than the 1048576-byte limit for one row \(SQL_MAX_ROW_BYTES\)/,
      );
    } finally {
      delete process.env.SQL_MAX_ROW_BYTES;
    }
  });

  it('an error in the first rows is answered with its status', async () => {
    const res = await query({ sql: 'SELECT 1 / (g - 50) FROM generate_series(1, 100) g' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'SqlError', pgCode: '22012' });
  });

  it('an error after the first byte cuts the response: the client sees an incomplete body', async () => {
    const res = await rawPost({
      sql: 'SELECT g, 1 / (g - 3000) FROM generate_series(1, 5000) g',
      limit: 5000,
    });
    expect(res.status).toBe(200);
    expect(res.text.startsWith('{"columns":[')).toBe(true);
    expect(res.complete).toBe(false);
    expect(() => JSON.parse(res.text)).toThrow();
  });
});

describe('exports', () => {
  it('CSV with Accept: text/csv — header row, RFC 4180 records, the value table forms', async () => {
    const res = await query(
      { sql: 'SELECT id, body, amount, tags FROM docs ORDER BY id' },
      { accept: 'text/csv' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="query.csv"');
    expect(res.text).toBe(
      'id,body,amount,tags\r\n' +
        '1,"{""n"": 12345678901234567890, ""x"": [1.10, 2]}",12345678901234567890.1,"[""a"",""b,c"",null]"\r\n' +
        '2,,,[]\r\n',
    );
  });

  it('NDJSON with "format": columns line, one array per row, a summary line', async () => {
    const res = await query(
      { sql: 'SELECT id, body FROM docs ORDER BY id', format: 'ndjson' },
      { accept: 'text/csv' },
    );
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.text.split('\n')).toEqual([
      '{"columns":[{"name":"id","type":"integer"},{"name":"body","type":"jsonb"}]}',
      '[1,{"n": 12345678901234567890, "x": [1.10, 2]}]',
      '[2,null]',
      '{"rowCount":2,"truncated":false}',
      '',
    ]);
  });

  it('the first bytes leave while the query is still running', async () => {
    const sql = `SELECT g, CASE WHEN g > 150 THEN pg_sleep(0.01)::text END FROM generate_series(1, 400) g`;
    let runningAtFirstChunk: unknown;
    const res = await rawPost({ sql, format: 'csv' }, async () => {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
           AND application_name = 'semaia' AND state = 'active' AND query LIKE '%pg_sleep(0.01)%'`,
      );
      runningAtFirstChunk = rows[0].n;
    });
    expect(res.complete).toBe(true);
    expect(runningAtFirstChunk).toBe(1);
    expect(res.text.split('\r\n')).toHaveLength(402); // header, 400 rows, the empty rest after the last CRLF
  });

  it('streams a large export in full', async () => {
    const res = await query(
      { sql: 'SELECT g, md5(g::text) FROM generate_series(1, 100000) g' },
      { accept: 'text/csv' },
    );
    const lines = res.text.split('\r\n');
    expect(lines).toHaveLength(100_002);
    expect(lines[100_000]).toBe('100000,' + createHash('md5').update('100000').digest('hex'));
  });

  it('NDJSON past the row cap says truncated in its summary line; CSV past it is cut', async () => {
    const ndjson = await query({
      sql: 'SELECT g FROM generate_series(1, 100) g',
      format: 'ndjson',
      limit: 50,
    });
    const lines = ndjson.text.trim().split('\n');
    expect(lines).toHaveLength(52);
    expect(JSON.parse(lines[51]!)).toEqual({ rowCount: 50, truncated: true, truncatedReason: 'rows' });
    const csv = await rawPost({ sql: 'SELECT g FROM generate_series(1, 100) g', format: 'csv', limit: 50 });
    expect(csv.status).toBe(200);
    expect(csv.complete).toBe(false);
    const exact = await query({ sql: 'SELECT g FROM generate_series(1, 50) g', format: 'csv', limit: 50 });
    expect(exact.text.split('\r\n')).toHaveLength(52);
  });

  it('an export that fails after its first byte is an incomplete download', async () => {
    const res = await rawPost({
      sql: 'SELECT g, 1 / (g - 3000) FROM generate_series(1, 5000) g',
      format: 'csv',
    });
    expect(res.status).toBe(200);
    expect(res.text.startsWith('g,?column?\r\n1,')).toBe(true);
    expect(res.complete).toBe(false);
  });

  it('a client that goes away mid-export stops the query on the server', async () => {
    const ac = new AbortController();
    const res = await api.fetch('POST', `/connectors/${id}/query`, {
      body: { sql: 'SELECT g, pg_sleep(0.01)::text FROM generate_series(1, 100000) g', format: 'csv' },
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk: the export is under way
    ac.abort();
    const active = async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
             AND application_name = 'semaia' AND state = 'active' AND query LIKE '%pg_sleep(0.01)%'`,
        )
      ).rows[0].n as number;
    let left = await active();
    for (let i = 0; i < 50 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await active();
    }
    expect(left).toBe(0);
  });

  it('the same statement rules apply', async () => {
    const res = await query({ sql: 'DELETE FROM docs', format: 'csv' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('SqlError');
    const limit = await query({ sql: 'SELECT 1', format: 'json', limit: 10_001 });
    expect(limit.json.error.field).toBe('limit');
  });
});
