/**
 * Resumable chat streams over real HTTP through the shim: Last-Event-ID resumption, following a reply that
 * another request is still writing, idempotent retries that follow instead of 409, isolation between users.
 * The real handler and stores (dynalite through the real SDK), the scripted Gemini server behind the real
 * SDK, a real PostgreSQL database.
 */
import type { ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import type { TestApi } from '../support/api.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import { readSse, type ReceivedEvent } from '../support/sse-client.js';

let bench: ModelApi;
let gemini: ScriptedGemini;
let api: TestApi;
let connectorId: string;

beforeAll(async () => {
  bench = await startModelApi('resume');
  ({ gemini, api } = bench);
  await bench.db.query(
    `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'one'), (2, 'two');`,
  );
  connectorId = await bench.addConnector('Items', await bench.db.readerUrl());
});

afterAll(() => bench?.close());

beforeEach(() => gemini.reset());

const words = (n: number, tag = 'w') => Array.from({ length: n }, (_, i) => `${tag}${i} `);

/** A reply with text, a query and more text: the model streams slowly so clients can come and go. */
function scriptReply(delayMs = 40) {
  const before = words(6, 'a');
  const after = words(20, 'b');
  gemini.script(
    {
      chunks: [
        ...before,
        { functionCall: { name: 'run_sql', args: { sql: 'SELECT label FROM items ORDER BY id' } } },
      ],
      delayMs,
    },
    { chunks: after, delayMs },
  );
  return before.join('') + after.join(''); // text after a tool call joins on the trailing space
}

const tokensOf = (events: ReceivedEvent[]) =>
  events
    .filter((e) => e.event === 'token')
    .map((e) => e.json.text)
    .join('');

const positionOf = (id: string | undefined) => {
  const [, seq, chars] = (id ?? '').split(':');
  return { seq: Number(seq), chars: Number(chars) };
};

/** Ids are unique and never go backwards: seq strictly increasing, chars non-decreasing. */
function expectOrderedIds(events: ReceivedEvent[]) {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const pos = ids.map(positionOf);
  for (let i = 1; i < pos.length; i++) {
    expect(pos[i]!.seq).toBeGreaterThan(pos[i - 1]!.seq);
    expect(pos[i]!.chars).toBeGreaterThanOrEqual(pos[i - 1]!.chars);
  }
}

async function storedReply(chatId: string) {
  const res = await api.request('GET', `/chats/${chatId}`);
  return res.json.messages.find((m: any) => m.role === 'assistant');
}

async function events(
  chatId: string,
  messageId: string,
  init: { lastEventId?: string; query?: string; user?: string } = {},
) {
  const res = await api.fetch('GET', `/chats/${chatId}/messages/${messageId}/events${init.query ?? ''}`, {
    headers: init.lastEventId ? { 'last-event-id': init.lastEventId } : {},
    ...(init.user ? { user: init.user } : {}),
  });
  return res;
}

describe('resumable chat streams', () => {
  it('a client that drops after a few tokens resumes with Last-Event-ID and assembles exactly the stored text', async () => {
    const expected = scriptReply();
    const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, {
      body: { message: 'list the items' },
    });
    let seenRows = false;
    let bTokens = 0;
    const live = await readSse(res, (e) => {
      if (e.event === 'rows') seenRows = true;
      if (e.event === 'token' && seenRows && ++bTokens === 3) return 'stop';
      return undefined;
    });
    const { chatId, assistantMessageId } = live.events[0]!.json;
    const lastId = live.events[live.events.length - 1]!.id!;

    const resumed = await readSse(await events(chatId, assistantMessageId, { lastEventId: lastId }));
    const names = resumed.events.map((e) => e.event);
    expect(names.slice(-2)).toEqual(['stored', 'done']);
    expect(names).not.toContain('query'); // already received live
    expect(names).not.toContain('chat');
    expectOrderedIds([...live.events, ...resumed.events]);

    const reply = await storedReply(chatId);
    expect(reply.status).toBe('complete');
    expect(reply.content).toBe(expected);
    expect(tokensOf(live.events) + tokensOf(resumed.events)).toBe(reply.content);
  });

  it('EventSource first connections resume from ?lastEventId=, and any id received can be resumed from', async () => {
    const expected = scriptReply(5);
    const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, { body: { message: 'again' } });
    const live = await readSse(res);
    expect(live.events.map((e) => e.event).slice(-2)).toEqual(['stored', 'done']);
    const { chatId, assistantMessageId } = live.events[0]!.json;
    // From every id of the live stream, the resumed stream completes the text exactly, with no duplicate event.
    for (let i = 0; i < live.events.length - 1; i++) {
      const have = live.events.slice(0, i + 1);
      const id = encodeURIComponent(have[i]!.id!);
      const rest = await readSse(await events(chatId, assistantMessageId, { query: `?lastEventId=${id}` }));
      expect(tokensOf(have) + tokensOf(rest.events)).toBe(expected);
      const structural = (list: ReceivedEvent[]) =>
        list.filter((e) => e.event !== 'token').map((e) => `${e.event}@${e.id}`);
      expect([...structural(have), ...structural(rest.events)]).toEqual(structural(live.events));
      expectOrderedIds([...have, ...rest.events]);
    }
  });

  it('a follower that connects while the reply streams receives everything up to done, like the live client', async () => {
    const expected = scriptReply();
    const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, {
      body: { message: 'follow me' },
    });
    let ids: { chatId: string; assistantMessageId: string } | undefined;
    let follower: Promise<{ events: ReceivedEvent[] }> | undefined;
    let midway: any;
    const live = await readSse(res, (e) => {
      if (e.event === 'chat') ids = e.json;
      if (e.event === 'token' && !follower && ids) {
        follower = events(ids.chatId, ids.assistantMessageId).then((r) => readSse(r));
        midway = api.request('GET', `/chats/${ids.chatId}`);
      }
      return undefined;
    });
    const followed = await follower!;
    expect(followed.events.map((e) => e.event)[0]).toBe('chat');
    expect(followed.events.map((e) => e.event).slice(-2)).toEqual(['stored', 'done']);
    expect(tokensOf(followed.events)).toBe(expected);
    expect(tokensOf(live.events)).toBe(expected);
    const structural = (list: ReceivedEvent[]) =>
      list.filter((e) => e.event !== 'token').map((e) => ({ event: e.event, id: e.id, data: e.json }));
    expect(structural(followed.events)).toEqual(structural(live.events));
    expectOrderedIds(live.events);
    expectOrderedIds(followed.events);
    // Read while it streamed, the chat showed the reply as `streaming` with its text so far.
    const during = (await midway).json.messages[1];
    expect(during.status).toBe('streaming');
    expect(expected.startsWith(during.content)).toBe(true);
  });

  it('a retried POST with the same Idempotency-Key while the first still streams follows it instead of 409', async () => {
    const expected = scriptReply();
    const headers = { 'idempotency-key': 'resume-retry-1' };
    const body = { message: 'retry me' };
    const first = await api.fetch('POST', `/connectors/${connectorId}/chats`, { body, headers });
    let retry: Promise<Response> | undefined;
    const live = await readSse(first, (e) => {
      if (e.event === 'token' && !retry)
        retry = api.fetch('POST', `/connectors/${connectorId}/chats`, { body, headers });
      return undefined;
    });
    const second = await retry!;
    expect(second.status).toBe(200);
    const followed = await readSse(second);
    expect(followed.events[0]!.json).toEqual(live.events[0]!.json);
    expect(tokensOf(followed.events)).toBe(expected);
    expect(followed.events.map((e) => e.event).slice(-2)).toEqual(['stored', 'done']);
    expect(gemini.requests).toHaveLength(2); // one reply: two model turns, none for the retry
  });

  it("another user's message, a forged id, and a user message are 404", async () => {
    gemini.script({ chunks: ['Hi.'] });
    const live = await readSse(
      await api.fetch('POST', `/connectors/${connectorId}/chats`, { body: { message: 'hi' } }),
    );
    const { chatId, assistantMessageId, userMessageId } = live.events[0]!.json;
    expect((await events(chatId, assistantMessageId, { user: 'user-b' })).status).toBe(404);
    expect((await events(chatId, '01aaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await events(chatId, 'no#such')).status).toBe(404);
    expect((await events(chatId, userMessageId)).status).toBe(404);
    const ok = await events(chatId, assistantMessageId);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await ok.body?.cancel();
  });
});
