/**
 * Every per-user limit over real HTTP through the shim, with the real handler and store (dynalite through
 * the real SDK), the real Gemini SDK against the scripted server, and a real PostgreSQL database: each
 * answers 429 at its line with Retry-After and the limit's name, and frees its place when the work ends,
 * whether it completes or fails. Limits are read from the environment per request, so each test sets its
 * own; each test has users of its own.
 */
import { readFileSync } from 'node:fs';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import type { ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import type { ApiResponse, TestApi } from '../support/api.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import type { TestDatabase } from '../support/postgres.js';
import { readSse } from '../support/sse-client.js';
import { awayFromMinuteEnd, eventNames, openStream, sleepingSessions, waitFor } from './support.js';

let gemini: ScriptedGemini;
let api: TestApi;
let db: TestDatabase;
let readerUrl: string;
let bench: ModelApi;
/** One 429 body per limit, as clients saw them (checked against docs/errors.md at the end). */
const seen429 = new Map<string, ApiResponse>();

beforeAll(async () => {
  bench = await startModelApi('limits', { MODEL_RETRY_BASE_MS: '5' });
  ({ gemini, api, db } = bench);
  await db.query(`CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'one');`);
  readerUrl = await db.readerUrl();
});

afterAll(() => bench?.close());

beforeEach(() => gemini.reset());
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('LIMIT_')) delete process.env[k];
  delete process.env.SQL_STATEMENT_TIMEOUT_MS;
});

async function connector(user: string, name = 'Items'): Promise<string> {
  const res = await api.request('POST', '/connectors', {
    user,
    body: { name, ...parsePostgresUrl(readerUrl, 'disable') },
  });
  expect(res.status).toBe(201);
  return res.json.connector.id;
}

/** Expects a 429 of `limit`, with Retry-After agreeing with the body. */
function expect429(res: ApiResponse, code: string, limit: string, max: number) {
  expect(res.status).toBe(429);
  expect(res.json.error).toMatchObject({ code, limit, max });
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toBe(String(res.json.error.retryAfterS));
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  seen429.set(limit, res);
}

const slow = (text = 'slow') => ({
  chunks: Array.from({ length: 8 }, (_, i) => `${text}${i} `),
  delayMs: 120,
});
const quick = (text = 'quick') => ({ chunks: [`${text} `, 'reply'] });
const chat = (user: string, cid: string, message = 'hello') =>
  api.fetch('POST', `/connectors/${cid}/chats`, { user, body: { message } });
const query = (user: string, cid: string, sql: string) =>
  api.request('POST', `/connectors/${cid}/query`, { user, body: { sql } });

describe('streams per user', () => {
  it('a chat or explain past the line is a 429; other users are not affected; a finished stream frees its place', async () => {
    process.env.LIMIT_STREAMS_PER_USER = '2';
    const user = 'streams-line';
    const cid = await connector(user);
    gemini.script(slow('a'), slow('b'));
    const a = await openStream(chat(user, cid));
    const b = await openStream(chat(user, cid));
    await Promise.all([a.first, b.first]);

    const third = await api.request('POST', `/connectors/${cid}/chats`, { user, body: { message: 'x' } });
    expect429(third, 'TooManyRequests', 'streams', 2);
    expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(5);
    const explain = await api.request('POST', `/connectors/${cid}/explain`, {
      user,
      body: { sql: 'select 1' },
    });
    expect429(explain, 'TooManyRequests', 'streams', 2);
    expect((await api.request('GET', '/usage', { user })).json.streams).toEqual({ max: 2, used: 2 });

    const other = 'streams-line-other';
    const otherCid = await connector(other);
    gemini.script(quick());
    expect(eventNames((await readSse(await chat(other, otherCid))).events).slice(-1)).toEqual(['done']);

    expect(eventNames(await a.done).slice(-1)).toEqual(['done']);
    expect(eventNames(await b.done).slice(-1)).toEqual(['done']);
    gemini.script(quick());
    expect(eventNames((await readSse(await chat(user, cid))).events).slice(-1)).toEqual(['done']);
    expect((await api.request('GET', '/usage', { user })).json.streams).toEqual({ max: 2, used: 0 });
  });

  it('a stream that fails, and a request refused before its stream, give their place back', async () => {
    process.env.LIMIT_STREAMS_PER_USER = '1';
    const user = 'streams-error';
    const cid = await connector(user);
    gemini.script({ status: 500 }, { status: 500 }, { status: 500 });
    const failed = (await readSse(await chat(user, cid))).events;
    expect(failed.find((e) => e.event === 'error')?.json.code).toBe('LlmError');

    const badSql = await api.request('POST', `/connectors/${cid}/explain`, {
      user,
      body: { sql: 'selec 1' },
    });
    expect(badSql.status).toBe(400);

    gemini.script(quick(), quick());
    const explained = await api.request('POST', `/connectors/${cid}/explain`, {
      user,
      body: { sql: 'select 1' },
    });
    expect(explained.status).toBe(200);
    expect(eventNames((await readSse(await chat(user, cid))).events).slice(-1)).toEqual(['done']);
  });

  it('event streams have a pool of their own: a client can always follow its own live reply', async () => {
    process.env.LIMIT_STREAMS_PER_USER = '1';
    process.env.LIMIT_FOLLOW_STREAMS_PER_USER = '1';
    const user = 'streams-follow';
    const cid = await connector(user);
    gemini.script(slow());
    const live = await openStream(chat(user, cid));
    const { chatId, assistantMessageId } = (await live.first).json;
    const events = `/chats/${chatId}/messages/${assistantMessageId}/events`;

    const follower = await openStream(api.fetch('GET', events, { user }));
    await follower.first;
    const second = await api.request('GET', events, { user });
    expect429(second, 'TooManyRequests', 'followStreams', 1);

    expect(eventNames(await follower.done).slice(-2)).toEqual(['stored', 'done']);
    await live.done;
    const replay = await readSse(await api.fetch('GET', events, { user }));
    expect(eventNames(replay.events).slice(-2)).toEqual(['stored', 'done']);
  });
});

describe('model tokens per UTC day', () => {
  it('a reply that crosses the line finishes; the next model request is refused until the day ends', async () => {
    process.env.LIMIT_MODEL_TOKENS_PER_DAY = '1000';
    const user = 'tokens-line';
    const cid = await connector(user);
    gemini.script(
      {
        chunks: [
          'Looking. ',
          { functionCall: { name: 'run_sql', args: { sql: 'SELECT label FROM items' } } },
        ],
        usage: { promptTokenCount: 1100, candidatesTokenCount: 20 },
      },
      { chunks: ['There is one item.'], usage: { promptTokenCount: 60, candidatesTokenCount: 10 } },
    );
    const reply = (await readSse(await chat(user, cid))).events;
    expect(eventNames(reply)).toContain('rows');
    expect(eventNames(reply).slice(-2)).toEqual(['stored', 'done']);

    const refused = await api.request('POST', `/connectors/${cid}/chats`, {
      user,
      body: { message: 'more' },
    });
    expect429(refused, 'QuotaExceeded', 'modelTokensPerDay', 1000);
    const midnight = new Date(Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000).toISOString();
    expect(refused.json.error).toMatchObject({ used: 1190, resetAt: midnight });
    const wait = Number(refused.headers.get('retry-after'));
    expect(Math.abs(Date.now() + wait * 1000 - Date.parse(midnight))).toBeLessThan(5_000);

    const explain = await api.request('POST', `/connectors/${cid}/explain`, {
      user,
      body: { sql: 'select 1' },
    });
    expect(explain.json.error.code).toBe('QuotaExceeded');
    const chatId = reply[0]!.json.chatId;
    const message = await api.request('POST', `/chats/${chatId}/messages`, { user, body: { message: 'x' } });
    expect(message.json.error.code).toBe('QuotaExceeded');
    expect((await api.request('GET', '/usage', { user })).json.modelTokensPerDay).toEqual({
      max: 1000,
      used: 1190,
      resetAt: midnight,
    });
    expect(gemini.pending()).toBe(0); // nothing reached the model after the line

    // The stored reply is still readable; other users still have their budget.
    expect((await api.request('GET', `/chats/${chatId}`, { user })).status).toBe(200);
    const other = 'tokens-line-other';
    gemini.script(quick());
    expect(eventNames((await readSse(await chat(other, await connector(other)))).events).pop()).toBe('done');
  });

  it('counts what a reply spent even when it failed midway', async () => {
    const user = 'tokens-broken';
    const cid = await connector(user);
    gemini.script({ chunks: ['x'.repeat(4000), 'y'.repeat(4000), 'z'], breakAfter: 2, delayMs: 30 });
    const reply = (await readSse(await chat(user, cid))).events;
    expect(reply.find((e) => e.event === 'error')?.json.code).toBe('LlmError');
    expect(gemini.requests).toHaveLength(1); // the stream broke after content: no retry
    const usage = (await api.request('GET', '/usage', { user })).json.modelTokensPerDay;
    expect(usage.max).toBe(500_000);
    expect(usage.used).toBeGreaterThanOrEqual(2000);
  });
});

describe('SQL requests per minute', () => {
  it('/query, /inspect and /explain count; past the line a 429 until the minute ends; the model is not counted', async () => {
    process.env.LIMIT_SQL_REQUESTS_PER_MINUTE = '3';
    const user = 'sql-rate';
    const cid = await connector(user);
    await awayFromMinuteEnd();
    expect((await query(user, cid, 'select 1')).status).toBe(200);
    expect((await api.request('GET', `/connectors/${cid}/inspect`, { user })).status).toBe(200);
    gemini.script(quick());
    expect(
      (await api.request('POST', `/connectors/${cid}/explain`, { user, body: { sql: 'select 1' } })).status,
    ).toBe(200);
    const refused = await query(user, cid, 'select 1');
    expect429(refused, 'TooManyRequests', 'sqlRequestsPerMinute', 3);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await api.request('GET', `/connectors/${cid}/inspect`, { user })).status).toBe(429);
    expect(
      (await api.request('POST', `/connectors/${cid}/explain`, { user, body: { sql: 'select 1' } })).json
        .error.limit,
    ).toBe('sqlRequestsPerMinute');

    gemini.script(
      { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT label FROM items' } } }] },
      quick('answered'),
    );
    const reply = (await readSse(await chat(user, cid))).events;
    expect(reply.find((e) => e.event === 'rows')?.json.rows).toEqual([['one']]);
    expect((await api.request('GET', '/usage', { user })).json.sqlRequestsPerMinute).toMatchObject({
      max: 3,
      used: 3,
    });
  });
});

describe('SQL statements at once per connector', () => {
  it('past the line a 429; another connector is not affected; finished statements free their slots', async () => {
    process.env.LIMIT_SQL_CONCURRENT_PER_CONNECTOR = '2';
    const user = 'sql-slots';
    const cid = await connector(user);
    const running = [query(user, cid, 'select pg_sleep(1.5)'), query(user, cid, 'select pg_sleep(1.5)')];
    await waitFor(async () => (await sleepingSessions(db)) >= 2, 'two statements running');
    const refused = await query(user, cid, 'select 1');
    expect429(refused, 'TooManyRequests', 'sqlConcurrentPerConnector', 2);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await api.request('GET', `/connectors/${cid}/inspect`, { user })).status).toBe(429);
    expect(
      (await query(user, await connector(user, 'Same database, other connector'), 'select 1')).status,
    ).toBe(200);

    expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200]);
    expect((await query(user, cid, 'select 1')).status).toBe(200);
  });

  it('a statement that fails or times out frees its slot', async () => {
    process.env.LIMIT_SQL_CONCURRENT_PER_CONNECTOR = '1';
    process.env.SQL_STATEMENT_TIMEOUT_MS = '300';
    const user = 'sql-slots-error';
    const cid = await connector(user);
    for (let i = 0; i < 3; i++) expect((await query(user, cid, 'select 1/0')).status).toBe(400);
    expect((await query(user, cid, 'select pg_sleep(2)')).json.error.code).toBe('QueryTimeout');
    expect((await query(user, cid, 'select 1')).status).toBe(200);
  });

  it("refuses the model's run_sql at the line as a query_error the model reacts to; the reply goes on", async () => {
    process.env.LIMIT_SQL_CONCURRENT_PER_CONNECTOR = '1';
    const user = 'sql-slots-model';
    const cid = await connector(user);
    const holding = query(user, cid, 'select pg_sleep(2)');
    await waitFor(async () => (await sleepingSessions(db)) >= 1, 'the statement running');
    gemini.script(
      { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT label FROM items' } } }] },
      quick('The database is busy'),
    );
    const reply = (await readSse(await chat(user, cid))).events;
    const refused = reply.find((e) => e.event === 'query_error');
    expect(refused?.json).toMatchObject({ code: 'TooManyRequests', sql: 'SELECT label FROM items' });
    expect(eventNames(reply).slice(-2)).toEqual(['stored', 'done']);
    const toModel = JSON.stringify(gemini.requests[gemini.requests.length - 1]!.body.contents);
    expect(toModel).toContain('TooManyRequests');
    expect((await holding).status).toBe(200);
  });
});

describe('connectors per user', () => {
  it('a burst of creates stops at the line; a delete frees a place', async () => {
    process.env.LIMIT_CONNECTORS_PER_USER = '3';
    const user = 'connectors-line';
    const body = { name: 'Burst', ...parsePostgresUrl(readerUrl, 'disable') };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api.request('POST', '/connectors', { user, body })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(5);
    expect429(refused[0]!, 'TooManyRequests', 'connectors', 3);
    const listed = (await api.request('GET', '/connectors', { user })).json.connectors;
    expect(listed).toHaveLength(3);
    expect((await api.request('GET', '/usage', { user })).json.connectors).toEqual({ max: 3, used: 3 });

    expect((await api.request('DELETE', `/connectors/${listed[0].id}`, { user })).status).toBe(204);
    expect((await api.request('POST', '/connectors', { user, body })).status).toBe(201);
    expect((await api.request('POST', '/connectors', { user, body })).status).toBe(429);
  });
});

describe('limits turned off (0)', () => {
  it('lets everything through and reports max null', async () => {
    for (const name of [
      'STREAMS_PER_USER',
      'FOLLOW_STREAMS_PER_USER',
      'MODEL_TOKENS_PER_DAY',
      'SQL_REQUESTS_PER_MINUTE',
      'SQL_CONCURRENT_PER_CONNECTOR',
      'CONNECTORS_PER_USER',
    ])
      process.env[`LIMIT_${name}`] = '0';
    const user = 'limits-off';
    const cid = await connector(user);
    gemini.script(slow('a'), slow('b'), slow('c'), slow('d'));
    const streams = await Promise.all([1, 2, 3, 4].map(() => openStream(chat(user, cid))));
    const sleeps = Array.from({ length: 6 }, () => query(user, cid, 'select pg_sleep(0.5)'));
    expect((await Promise.all(sleeps)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const s of streams) expect(eventNames(await s.done).slice(-1)).toEqual(['done']);
    const usage = (await api.request('GET', '/usage', { user })).json;
    for (const limit of Object.values(usage) as { max: unknown }[]) expect(limit.max).toBeNull();
    expect(usage.sqlRequestsPerMinute.used).toBe(0); // not even counted
    expect(usage.connectors.used).toBe(1); // always counted, so turning the limit on starts from the truth
  });
});

describe('the docs', () => {
  /** Numbers and times left out: the shape and the words are what must not drift. */
  const words = (message: string) =>
    message.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>').replace(/\d[\d,]*/g, '<n>');
  const shape = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .map(([k, v]) => [k, shape(v)])
            .sort(),
        )
      : typeof value;

  it('docs/errors.md shows the 429s every limit really sends', () => {
    // Collected by the tests above (this one needs the whole file to run): one 429 of every limit.
    expect([...seen429.keys()].sort()).toEqual([
      'connectors',
      'followStreams',
      'modelTokensPerDay',
      'sqlConcurrentPerConnector',
      'sqlRequestsPerMinute',
      'streams',
    ]);
    const doc = readFileSync('docs/errors.md', 'utf8').split('## Limits')[1]!;
    const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!).error);
    expect(examples.map((e) => e.limit)).toEqual(['streams', 'modelTokensPerDay']);
    for (const example of examples) {
      const real = seen429.get(example.limit)!.json.error;
      expect(shape(example)).toEqual(shape(real));
      expect(words(example.message)).toBe(words(real.message));
    }
    const prose = [...doc.matchAll(/`(At most [^`]+)`\s+\(`(\w+)`\)/g)];
    expect(prose.map((m) => m[2])).toEqual([
      'followStreams',
      'sqlRequestsPerMinute',
      'sqlConcurrentPerConnector',
      'connectors',
    ]);
    for (const [, message, limit] of prose) {
      expect(words(message!)).toBe(words(seen429.get(limit!)!.json.error.message));
    }
  });

  it('docs/api.md shows what GET /usage answers', async () => {
    const doc = readFileSync('docs/api.md', 'utf8').split('## Limits')[1]!;
    const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)![1]!);
    const real = (await api.request('GET', '/usage', { user: 'docs-usage' })).json;
    expect(shape(example)).toEqual(shape(real));
    for (const [name, limit] of Object.entries(example) as [string, { max: number }][]) {
      expect(limit.max).toBe(real[name].max); // the defaults
    }
    const table = [...doc.matchAll(/^\| `(\w+)` +\| `(LIMIT_\w+)` \(([\d,]+)\)/gm)];
    expect(table.map((m) => m[1])).toEqual(Object.keys(real));
    for (const [, name, , value] of table) expect(Number(value!.replace(/,/g, ''))).toBe(real[name!].max);
  });
});
