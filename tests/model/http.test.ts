/**
 * The model routes over real HTTP through the local shim (the real handler, SSE writer and stores), with the
 * scripted Gemini server behind the real SDK and a real PostgreSQL database.
 */
import type { ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import type { TestApi } from '../support/api.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import type { TestDatabase } from '../support/postgres.js';
import { readSse } from '../support/sse-client.js';

let bench: ModelApi;
let gemini: ScriptedGemini;
let api: TestApi;
let db: TestDatabase;
let connectorId: string;

beforeAll(async () => {
  bench = await startModelApi('model_http', { SSE_HEARTBEAT_MS: '100' });
  ({ gemini, api, db } = bench);
  await db.query(
    `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'one'), (2, 'two');`,
  );
  connectorId = await bench.addConnector('Items', await db.readerUrl());
});

afterAll(() => bench?.close());

beforeEach(() => gemini.reset());

/** Polls GET /chats/{id} until the reply is stored (the stream's client is gone, so nothing tells us). */
async function waitForReply(chatId: string, timeoutMs = 8_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.request('GET', `/chats/${chatId}`);
    const reply = res.json?.messages?.find((m: any) => m.role === 'assistant');
    // The reply is listed from its first event on, as `streaming`; wait for its final state.
    if (reply && reply.status !== 'streaming') return reply;
    if (Date.now() > until) throw new Error('the reply was never stored');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('model routes over HTTP', () => {
  it('streams a chat as text/event-stream with a run_sql round trip', async () => {
    gemini.script(
      {
        chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT label FROM items ORDER BY id' } } }],
      },
      { chunks: ['Labels: ', 'one, two.'] },
    );
    const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, {
      body: { message: 'list the items' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const { events } = await readSse(res);
    expect(events.map((e) => e.event)).toEqual(['chat', 'query', 'rows', 'token', 'token', 'stored', 'done']);
    expect(events.find((e) => e.event === 'rows')!.json.rows).toEqual([['one'], ['two']]);
    const chatId = events[0]!.json.chatId;
    const chat = await api.request('GET', `/chats/${chatId}`);
    expect(chat.json.messages.map((m: any) => m.content)).toEqual(['list the items', 'Labels: one, two.']);
    expect(chat.json.messages[1].queries[0]).toMatchObject({
      sql: 'SELECT label FROM items ORDER BY id',
      result: { rowCount: 2, rows: [['one'], ['two']] },
    });
  });

  it('answers 503 JSON when no key is configured', async () => {
    const key = process.env.GEMINI_API_KEY;
    delete process.env.GEMINI_API_KEY;
    try {
      const res = await api.request('POST', `/connectors/${connectorId}/chats`, {
        body: { message: 'hi' },
        headers: { accept: 'text/event-stream' },
      });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('LlmNotConfigured');
      expect(res.json.error.message).toContain('GEMINI_API_KEY');
      const chats = await api.request('GET', '/chats');
      expect(chats.json.chats.every((c: any) => c.title !== 'hi')).toBe(true);
    } finally {
      process.env.GEMINI_API_KEY = key;
    }
  });

  it('stores the full reply after the client disconnects mid-stream', async () => {
    const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
    gemini.script({ chunks: words, delayMs: 60 });
    const controller = new AbortController();
    const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, {
      body: { message: 'talk slowly' },
      signal: controller.signal,
    });
    let chatId = '';
    let tokens = 0;
    await readSse(res, (e) => {
      if (e.event === 'chat') chatId = e.json.chatId;
      if (e.event === 'token' && ++tokens === 2) return 'stop';
      return undefined;
    });
    controller.abort();
    expect(tokens).toBe(2);
    const reply = await waitForReply(chatId);
    expect(reply.content).toBe(words.join(''));
    expect(reply.status).toBe('complete');
  });

  it('explains a query as JSON, and 400 SqlError for bad SQL', async () => {
    gemini.script({ chunks: ['Reads ', 'items by key.'] });
    const ok = await api.request('POST', `/connectors/${connectorId}/explain`, {
      body: { sql: 'SELECT * FROM items WHERE id = 1' },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.explanation).toBe('Reads items by key.');
    expect(Array.isArray(ok.json.plan)).toBe(true);
    const bad = await api.request('POST', `/connectors/${connectorId}/explain?stream=true`, {
      body: { sql: 'SELECT nope FROM items' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('SqlError');
  });
});
