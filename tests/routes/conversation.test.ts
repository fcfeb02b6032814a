/**
 * The model routes, driven in-process with a recording SSE stream, against the real stores (dynalite through
 * the real SDK), a real PostgreSQL database, and the scripted Gemini server through the real @google/genai SDK.
 */
import { statusOf } from '../../lib/http/errors.js';
import { createChat, explainQuery, postMessage } from '../../handlers/conversation.js';
import { getChat as getChatRoute } from '../../handlers/chats.js';
import type { SseStream } from '../../lib/http/sse-stream.js';
import type { Reply, RouteContext } from '../../lib/http/types.js';
import { AppError } from '../../lib/errors.js';
import { clearSchemaCache } from '../../lib/model/schema.js';
import { listChats, getChat } from '../../lib/store/chats.js';
import { listMessages } from '../../lib/store/messages.js';
import { createConnector } from '../../lib/store/connectors.js';
import { loadSchemaIndex } from '../../lib/store/schema-index.js';
import { deleteConnector as deleteConnectorRoute } from '../../handlers/connectors.js';
import { claimIdempotencyKey } from '../../lib/store/idempotency.js';
import type { Message } from '../../lib/types.js';
import { makeContext, type ContextOptions } from '../support/context.js';
import { useDynamo } from '../support/dynamo.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { partsOf, startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';

useDynamo();

let gemini: ScriptedGemini;
let db: TestDatabase;
let connectorId: string;
const saved = { ...process.env };
const UID = 'user-a';

interface Recorded {
  event: string;
  data: any;
  id: string | undefined;
}

/** An SseStream that records events; `goneAfter` makes the client vanish after that many events. */
class RecordingStream implements SseStream {
  events: Recorded[] = [];
  dropped: Recorded[] = [];
  constructor(private goneAfter = Infinity) {}
  get clientGone() {
    return this.events.length >= this.goneAfter;
  }
  async send(event: string, data: unknown, id?: string) {
    const rec = { event, data: JSON.parse(JSON.stringify(data)), id };
    if (this.clientGone) this.dropped.push(rec);
    else this.events.push(rec);
  }
  async comment() {}
  async retry() {}
  names() {
    return this.events.map((e) => e.event);
  }
  of(event: string) {
    return this.events.filter((e) => e.event === event).map((e) => e.data);
  }
}

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function run(reply: Reply, stream = new RecordingStream()): Promise<RecordingStream> {
  expect(reply.kind).toBe('sse');
  if (reply.kind === 'sse') await reply.run(stream);
  return stream;
}

const ctxFor = (opts: ContextOptions & { remainingMs?: number }): RouteContext => {
  const ctx = makeContext({ method: 'POST', ...opts });
  if (opts.remainingMs !== undefined) ctx.remainingMs = () => opts.remainingMs!;
  return ctx;
};

const startChat = (body: unknown, opts: Partial<ContextOptions> & { remainingMs?: number } = {}) =>
  createChat(
    ctxFor({ path: `/connectors/${connectorId}/chats`, params: { id: connectorId }, body, ...opts }),
  );

const messagesOf = (chatId: string, uid = UID): Promise<Message[]> => listMessages(uid, chatId);

beforeAll(async () => {
  gemini = await startScriptedGemini({ fallback: 'fail' });
  process.env.GEMINI_API_KEY = 'test-key';
  process.env.GEMINI_BASE_URL = gemini.url;
  process.env.MODEL_RETRY_BASE_MS = '20';
  db = await createTestDatabase('conversation');
  await db.query(`
    CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city text);
    CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2));
    COMMENT ON TABLE orders IS 'One row per order';
    INSERT INTO customers (name, city) VALUES ('Ada', 'London'), ('Grace', 'New York'), ('Linus', 'Helsinki');
    INSERT INTO orders (customer_id, total) VALUES (1, 10.50), (1, 20.00), (2, 5.25);
    ANALYZE;`);
  const role = await db.createRole('semaia_reader', 'reader-pw');
  await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role.name}`);
  const url = new URL(db.url);
  const connector = await createConnector(UID, {
    name: 'Shop',
    host: url.hostname,
    port: Number(url.port || 5432),
    database: db.name,
    user: role.name,
    password: 'reader-pw',
    ssl: 'disable',
  });
  connectorId = connector.id;
});

afterAll(async () => {
  process.env = saved;
  await gemini.close();
  await db.drop();
});

beforeEach(() => {
  gemini.reset();
  clearSchemaCache();
  process.env.GEMINI_API_KEY = 'test-key';
  delete process.env.MODEL_DEADLINE_MARGIN_MS;
});

describe('POST /connectors/{id}/chats', () => {
  it('answers 503 LlmNotConfigured without a key, before storing anything', async () => {
    delete process.env.GEMINI_API_KEY;
    const before = (await listChats(UID, { limit: 100 })).chats.length;
    const err = await errorOf(startChat({ message: 'hello' }));
    expect(err.code).toBe('LlmNotConfigured');
    expect(statusOf(err)).toBe(503);
    expect(err.message).toContain('GEMINI_API_KEY');
    expect(gemini.requests).toHaveLength(0);
    expect((await listChats(UID, { limit: 100 })).chats).toHaveLength(before);
  });

  it('streams tokens one by one in order, stores both messages, then stored and done', async () => {
    gemini.script({ chunks: ['Hello', ' there', ', Ada', '!'], delayMs: 10 });
    const stream = await run(await startChat({ message: '  Say   hello\nplease' }));

    expect(stream.names()).toEqual(['chat', 'token', 'token', 'token', 'token', 'stored', 'done']);
    expect(stream.of('token').map((d) => d.text)).toEqual(['Hello', ' there', ', Ada', '!']);
    const chatEvent = stream.of('chat')[0];
    expect(chatEvent).toMatchObject({ connectorId, title: 'Say hello' });
    const { chatId, userMessageId, assistantMessageId } = chatEvent;
    expect(stream.of('stored')[0]).toEqual({ chatId, userMessageId, assistantMessageId, status: 'complete' });
    expect(stream.of('done')[0]).toEqual({});

    const ids = stream.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id!.startsWith(`${assistantMessageId}:`))).toBe(true);

    const messages = await messagesOf(chatId);
    expect(messages.map((m) => [m.id, m.role, m.content, m.status])).toEqual([
      [userMessageId, 'user', 'Say   hello\nplease', 'complete'],
      [assistantMessageId, 'assistant', 'Hello there, Ada!', 'complete'],
    ]);
    expect((await getChat(UID, chatId)).title).toBe('Say hello');
  });

  it('on a privileged role, gives the model no tools and tells it why (its SQL never runs there)', async () => {
    const url = new URL(db.url); // the test server's superuser
    const superuser = await createConnector(UID, {
      name: 'Admin',
      host: url.hostname,
      port: Number(url.port || 5432),
      database: db.name,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password) || null,
      ssl: 'disable',
    });
    gemini.script({ chunks: ['Please connect with a read-only role.'] });
    const stream = await run(
      await createChat(
        ctxFor({
          path: `/connectors/${superuser.id}/chats`,
          params: { id: superuser.id },
          body: { message: 'How many orders?' },
        }),
      ),
    );
    expect(stream.names()).toEqual(['chat', 'token', 'stored', 'done']);
    const request = gemini.requests[0]!.body;
    expect(request.tools).toBeUndefined();
    const system = request.systemInstruction!.parts![0]!.text as string;
    expect(system).toContain('Semaia does not run SQL for you on this connection');
    expect(system).toMatch(/superuser/);
  });

  it('uses the title from the request', async () => {
    gemini.script({ chunks: ['ok'] });
    const stream = await run(await startChat({ message: 'hi', title: 'My analysis' }));
    expect(stream.of('chat')[0].title).toBe('My analysis');
  });

  it('rejects an invalid body with 400 naming the field', async () => {
    const err = await errorOf(startChat({ message: '   ' }));
    expect(err.code).toBe('IncorrectSignature');
    expect(err.details).toEqual({ field: 'message' });
  });

  it('answers 404 for an unknown connector', async () => {
    const err = await errorOf(
      createChat(ctxFor({ params: { id: '01unknownconnector0000000' }, body: { message: 'hi' } })),
    );
    expect(err.code).toBe('NotFound');
  });

  it('stores the user message even when the model fails on the first call', async () => {
    gemini.script({ status: 500 }, { status: 503 }, { status: 500 });
    const stream = await run(await startChat({ message: 'Will you fail?' }));
    expect(stream.names()).toEqual(['chat', 'stored', 'error']);
    expect(stream.of('error')[0]).toMatchObject({ code: 'LlmError' });
    const { chatId } = stream.of('chat')[0];
    const messages = await messagesOf(chatId);
    expect(messages[0]).toMatchObject({ role: 'user', content: 'Will you fail?' });
    expect(messages[1]).toMatchObject({
      role: 'assistant',
      content: '',
      status: 'incomplete',
      error: { code: 'LlmError' },
    });
  });

  it("runs the model's SQL on the real database, sends the rows back, and keeps the query with the reply", async () => {
    gemini.script(
      {
        chunks: [
          'Let me count.',
          {
            functionCall: {
              name: 'run_sql',
              args: { sql: 'SELECT name, city FROM customers ORDER BY id' },
              id: 'q1',
            },
          },
        ],
      },
      { chunks: ['You have ', '3 customers.'] },
    );
    const stream = await run(await startChat({ message: 'How many customers do I have?' }));

    expect(stream.names()).toEqual([
      'chat',
      'token',
      'query',
      'rows',
      'token',
      'token',
      'token',
      'stored',
      'done',
    ]);
    expect(stream.of('query')[0]).toEqual({ sql: 'SELECT name, city FROM customers ORDER BY id' });
    expect(stream.of('rows')[0]).toEqual({
      columns: [
        { name: 'name', type: 'text' },
        { name: 'city', type: 'text' },
      ],
      rows: [
        ['Ada', 'London'],
        ['Grace', 'New York'],
        ['Linus', 'Helsinki'],
      ],
      rowCount: 3,
      truncated: false,
    });

    // The schema summary reached the model, and the second call carries the rows as a functionResponse.
    const system = gemini.requests[0]!.body.systemInstruction!.parts![0]!.text as string;
    expect(system).toContain('- public.customers (~3 rows): id int PK, name text, city text');
    expect(system).toContain('customer_id int → public.customers.id');
    const response = partsOf(gemini.requests[1]!.body).find((p) => p.functionResponse) as any;
    expect(response.functionResponse).toMatchObject({ id: 'q1', name: 'run_sql' });
    expect(response.functionResponse.response.rows).toEqual([
      ['Ada', 'London'],
      ['Grace', 'New York'],
      ['Linus', 'Helsinki'],
    ]);

    const { chatId } = stream.of('chat')[0];
    const reply = (await messagesOf(chatId))[1]!;
    expect(reply.content).toBe('Let me count.\n\nYou have 3 customers.');
    // Stored with the reply: the SQL, where it stands in the stream, and exactly the rows event's data.
    const [queryEvent, rowsEvent] = stream.events.filter((e) => e.event === 'query' || e.event === 'rows');
    expect(reply.queries).toEqual([
      {
        sql: 'SELECT name, city FROM customers ORDER BY id',
        seq: Number(queryEvent!.id!.split(':')[1]),
        at: 'Let me count.'.length,
        result: { ...stream.of('rows')[0], seq: Number(rowsEvent!.id!.split(':')[1]) },
      },
    ]);
  });

  it('gives SQL errors back to the model, and refuses writes', async () => {
    gemini.script(
      { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT nope FROM customers' } } }] },
      { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'DELETE FROM orders' } } }] },
      { chunks: ['I could not do that.'] },
    );
    const stream = await run(await startChat({ message: 'break things' }));
    expect(stream.names()).toEqual([
      'chat',
      'query',
      'query_error',
      'query',
      'query_error',
      'token',
      'stored',
      'done',
    ]);
    expect(stream.of('query_error')[0]).toMatchObject({
      code: 'SqlError',
      sql: 'SELECT nope FROM customers',
    });
    expect(stream.of('query_error')[0].message).toContain('nope');
    const fr = partsOf(gemini.requests[1]!.body).find((p) => p.functionResponse) as any;
    expect(fr.functionResponse.response.error.code).toBe('SqlError');
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(3);
  });

  it('stores an incomplete reply and emits error when the model breaks mid-stream', async () => {
    gemini.script({ chunks: ['The answer ', 'is ', 'never finished'], breakAfter: 2 });
    const stream = await run(await startChat({ message: 'tell me' }));
    expect(stream.names()).toEqual(['chat', 'token', 'token', 'stored', 'error']);
    expect(stream.of('stored')[0].status).toBe('incomplete');
    expect(stream.of('error')[0].code).toBe('LlmError');
    const reply = (await messagesOf(stream.of('chat')[0].chatId))[1]!;
    expect(reply).toMatchObject({
      content: 'The answer is ',
      status: 'incomplete',
      error: { code: 'LlmError' },
    });
    expect(gemini.requests).toHaveLength(1); // never retried after the first token
  });

  it('retries a 429 before the first token', async () => {
    gemini.script({ status: 429 }, { chunks: ['Back ', 'again'] });
    const stream = await run(await startChat({ message: 'hi' }));
    expect(stream.names()).toEqual(['chat', 'token', 'token', 'stored', 'done']);
    expect(gemini.requests).toHaveLength(2);
  });

  it('finishes and stores the whole reply when the client goes away mid-stream', async () => {
    gemini.script({ chunks: ['one ', 'two ', 'three ', 'four ', 'five'], delayMs: 20 });
    const stream = new RecordingStream(3); // chat + 2 tokens, then the client is gone
    await run(await startChat({ message: 'count to five' }), stream);
    expect(stream.names()).toEqual(['chat', 'token', 'token']);
    expect(stream.dropped.map((e) => e.event)).toEqual(['token', 'token', 'token', 'stored', 'done']);
    const reply = (await messagesOf(stream.of('chat')[0].chatId))[1]!;
    expect(reply).toMatchObject({ content: 'one two three four five', status: 'complete' });
  });

  it('stops before the function runs out of time and stores what exists', async () => {
    process.env.MODEL_DEADLINE_MARGIN_MS = '200';
    gemini.script({ chunks: ['Slow ', 'answer ', 'that ', 'never ', 'ends'], delayMs: 400 });
    const stream = await run(await startChat({ message: 'slow please' }, { remainingMs: 1_200 }));
    expect(stream.names().slice(-2)).toEqual(['stored', 'error']);
    expect(stream.of('error')[0]).toMatchObject({ code: 'Timeout' });
    const reply = (await messagesOf(stream.of('chat')[0].chatId))[1]!;
    expect(reply.status).toBe('incomplete');
    expect(reply.error?.code).toBe('Timeout');
    expect(reply.content).toBe(
      stream
        .of('token')
        .map((t) => t.text)
        .join(''),
    );
    expect(reply.content.length).toBeGreaterThan(0);
  });
});

describe('POST /chats/{chat_id}/messages', () => {
  async function newChat(): Promise<string> {
    gemini.script({ chunks: ['First answer.'] });
    const stream = await run(await startChat({ message: 'First question' }));
    return stream.of('chat')[0].chatId;
  }

  const post = (chatId: string, body: unknown, opts: Partial<ContextOptions> = {}) =>
    postMessage(ctxFor({ path: `/chats/${chatId}/messages`, params: { chat_id: chatId }, body, ...opts }));

  it("after its connector is deleted, the chat goes on without data, and the connector's schema index is gone", async () => {
    const url = new URL(await db.readerUrl());
    const doomed = await createConnector(UID, {
      name: 'Doomed',
      host: url.hostname,
      port: Number(url.port || 5432),
      database: db.name,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      ssl: 'disable',
    });
    gemini.script({ chunks: ['There are customers.'] });
    const first = await run(
      await createChat(
        ctxFor({
          path: `/connectors/${doomed.id}/chats`,
          params: { id: doomed.id },
          body: { message: 'customers?' },
        }),
      ),
    );
    const chatId = first.of('chat')[0].chatId;
    expect((await loadSchemaIndex(UID, doomed.id))?.version).toBe(doomed.updatedAt); // built for the first message

    const deleted = await deleteConnectorRoute(
      ctxFor({ method: 'DELETE', path: `/connectors/${doomed.id}`, params: { id: doomed.id } }),
    );
    expect(deleted).toMatchObject({ kind: 'json', status: 204 });
    expect(await loadSchemaIndex(UID, doomed.id)).toBeUndefined();

    gemini.script({ chunks: ['I can no longer look at that database.'] });
    const next = await run(await post(chatId, { message: 'and orders?' }));
    expect(next.names()).toEqual(['chat', 'token', 'stored', 'done']);
    const request = gemini.requests[gemini.requests.length - 1]!.body;
    expect(request.tools).toBeUndefined();
    expect(request.systemInstruction!.parts![0]!.text).toContain('its connector was deleted');
    // The history is still there for the model and the user.
    expect(JSON.stringify(request.contents)).toContain('customers?');
    expect((await messagesOf(chatId)).map((m) => m.status)).toEqual([
      'complete',
      'complete',
      'complete',
      'complete',
    ]);
  });

  it('continues the chat with the earlier messages as history', async () => {
    const chatId = await newChat();
    gemini.script({ chunks: ['Second ', 'answer.'] });
    const stream = await run(await post(chatId, { message: 'Second question' }));
    expect(stream.names()).toEqual(['chat', 'token', 'token', 'stored', 'done']);
    const contents = gemini.requests[1]!.body.contents!;
    expect(contents.map((c) => [c.role, c.parts![0]!.text])).toEqual([
      ['user', 'First question'],
      ['model', 'First answer.'],
      ['user', 'Second question'],
    ]);
    const messages = await messagesOf(chatId);
    expect(messages.map((m) => m.content)).toEqual([
      'First question',
      'First answer.',
      'Second question',
      'Second answer.',
    ]);
  });

  it('does not let another user post into or read the chat (404)', async () => {
    const chatId = await newChat();
    const before = gemini.requests.length;
    const postErr = await errorOf(post(chatId, { message: 'intrude' }, { uid: 'user-b' }));
    expect(postErr.code).toBe('NotFound');
    const readErr = await errorOf(getChatRoute(makeContext({ uid: 'user-b', params: { chat_id: chatId } })));
    expect(readErr.code).toBe('NotFound');
    expect(gemini.requests.length).toBe(before);
    expect(await messagesOf(chatId)).toHaveLength(2);
  });

  it('replays an idempotent retry without a second user message or model call', async () => {
    const chatId = await newChat();
    gemini.script(
      {
        chunks: [
          { functionCall: { name: 'run_sql', args: { sql: 'SELECT count(*)::int AS n FROM orders' } } },
        ],
      },
      { chunks: ['There are ', '3 orders.'] },
    );
    const headers = { 'idempotency-key': 'retry-me-1' };
    const first = await run(await post(chatId, { message: 'How many orders?' }, { headers }));
    expect(first.names().slice(-2)).toEqual(['stored', 'done']);
    const calls = gemini.requests.length;

    const again = await run(await post(chatId, { message: 'How many orders?' }, { headers }));
    expect(gemini.requests.length).toBe(calls);
    // The retry gets the stored reply as the live stream's events: same names, order, data and ids.
    expect(again.names()).toEqual(['chat', 'query', 'rows', 'token', 'stored', 'done']);
    expect(again.of('token')[0].text).toBe('There are 3 orders.');
    expect(again.of('rows')[0]).toEqual(first.of('rows')[0]);
    expect(again.of('rows')[0]).toMatchObject({ rows: [[3]], rowCount: 1 });
    expect(again.of('stored')[0]).toEqual(first.of('stored')[0]);
    const idsOf = (r: RecordingStream, names: string[]) =>
      r.events.filter((e) => names.includes(e.event)).map((e) => e.id);
    expect(idsOf(again, ['chat', 'query', 'rows', 'stored', 'done'])).toEqual(
      idsOf(first, ['chat', 'query', 'rows', 'stored', 'done']),
    );
    const messages = await messagesOf(chatId);
    expect(messages.filter((m) => m.content === 'How many orders?')).toHaveLength(1);
    expect(messages).toHaveLength(4);

    // The same key for a different message is refused.
    const reuse = await errorOf(post(chatId, { message: 'Something else' }, { headers }));
    expect(reuse.code).toBe('Conflict');
  });

  it('answers 409 while a request with the same key is still running', async () => {
    const chatId = await newChat();
    const body = { message: 'in flight' };
    // The fingerprint the route computes is not known here, so claim without one (it then only checks state).
    await claimIdempotencyKey(UID, 'chats.message', 'in-flight-key', { leaseMs: 60_000 });
    const err = await errorOf(post(chatId, body, { headers: { 'idempotency-key': 'in-flight-key' } }));
    expect(err.code).toBe('Conflict');
    expect(await messagesOf(chatId)).toHaveLength(2);
  });

  it('replays an idempotent chat creation', async () => {
    gemini.script({ chunks: ['Created.'] });
    const headers = { 'idempotency-key': 'create-once' };
    const first = await run(await startChat({ message: 'Start' }, { headers }));
    const again = await run(await startChat({ message: 'Start' }, { headers }));
    expect(again.of('chat')[0].chatId).toBe(first.of('chat')[0].chatId);
    expect(again.names()).toEqual(['chat', 'token', 'stored', 'done']);
    expect(await messagesOf(first.of('chat')[0].chatId)).toHaveLength(2);
  });
});

describe('POST /connectors/{id}/explain', () => {
  const explain = (body: unknown, opts: Partial<ContextOptions> = {}) =>
    explainQuery(
      ctxFor({ path: `/connectors/${connectorId}/explain`, params: { id: connectorId }, body, ...opts }),
    );
  const SQL =
    'SELECT c.name, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name';

  it('returns JSON with the explanation and the EXPLAIN plan', async () => {
    gemini.script({ chunks: ['It sums ', 'order totals per customer.'] });
    const reply = await explain({ sql: SQL });
    expect(reply.kind).toBe('json');
    if (reply.kind !== 'json') return;
    expect(reply.status).toBe(200);
    const body = reply.body as { explanation: string; plan: any };
    expect(body.explanation).toBe('It sums order totals per customer.');
    expect(body.plan[0].Plan['Node Type']).toMatch(/Aggregate/); // GROUP BY over the join
    expect(JSON.stringify(body.plan)).not.toContain('Actual'); // planned, never ANALYZEd
    const prompt = gemini.requests[0]!.body.contents![0]!.parts![0]!.text as string;
    expect(prompt).toContain(SQL);
    expect(prompt).toContain('"Node Type"');
    expect(gemini.requests[0]!.body.tools).toBeUndefined();
  });

  it('streams plan, tokens and done with Accept: text/event-stream or ?stream=true', async () => {
    gemini.script({ chunks: ['Joins ', 'two tables.'] }, { chunks: ['Again.'] });
    const stream = await run(await explain({ sql: SQL }, { headers: { accept: 'text/event-stream' } }));
    expect(stream.names()).toEqual(['plan', 'token', 'token', 'done']);
    expect(stream.of('plan')[0].plan[0].Plan['Node Type']).toMatch(/Aggregate/);
    const viaQuery = await run(await explain({ sql: SQL }, { query: { stream: 'true' } }));
    expect(viaQuery.names()).toEqual(['plan', 'token', 'done']);
  });

  it('answers 400 SqlError before any stream when EXPLAIN fails', async () => {
    const err = await errorOf(
      explain({ sql: 'SELECT missing_column FROM customers' }, { headers: { accept: 'text/event-stream' } }),
    );
    expect(err.code).toBe('SqlError');
    expect(gemini.requests).toHaveLength(0);
  });

  it('answers 502 LlmError in JSON mode when the model fails', async () => {
    gemini.script({ status: 500 }, { status: 500 }, { status: 500 });
    const err = await errorOf(explain({ sql: 'SELECT 1' }));
    expect(err.code).toBe('LlmError');
  });

  it('answers 503 without a key', async () => {
    delete process.env.GEMINI_API_KEY;
    const err = await errorOf(explain({ sql: 'SELECT 1' }));
    expect(err.code).toBe('LlmNotConfigured');
  });
});
