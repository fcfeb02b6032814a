/** The chat history routes (hand-built RouteContext, real dynalite). */
import * as routes from '../../handlers/chats.js';
import * as connectorRoutes from '../../handlers/connectors.js';
import { newId } from '../../lib/ids.js';
import { createChat } from '../../lib/store/chats.js';
import { putMessage } from '../../lib/store/messages.js';
import type { Chat } from '../../lib/types.js';
import { callRoute } from '../support/context.js';
import { useDynamo } from '../support/dynamo.js';

useDynamo();

const list = (uid: string, query: Record<string, string> = {}) => callRoute(routes.listChats, { uid, query });

describe('chat routes', () => {
  const chats: Chat[] = [];

  beforeAll(async () => {
    const base = Date.UTC(2025, 2, 1);
    for (let i = 0; i < 120; i++) {
      chats.push(
        await createChat('alice', {
          connectorId: i % 2 ? 'odd' : 'even',
          title: `Chat ${i}`,
          id: newId(base + i * 60_000),
        }),
      );
    }
  });

  test('GET /chats pages newest first: default limit 50, each chat exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await list('alice', cursor ? { cursor } : {});
      expect(r.status).toBe(200);
      expect(r.body.chats.length).toBeLessThanOrEqual(50);
      seen.push(...r.body.chats.map((c: Chat) => c.id));
      cursor = r.body.nextCursor;
      expect(cursor === null || typeof cursor === 'string').toBe(true);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(chats.map((c) => c.id).reverse());
  });

  test('GET /chats?connectorId= with limit pages through one connector only', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await list('alice', { connectorId: 'odd', limit: '25', ...(cursor ? { cursor } : {}) });
      expect(r.status).toBe(200);
      seen.push(...r.body.chats.map((c: Chat) => c.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(
      chats
        .filter((c) => c.connectorId === 'odd')
        .map((c) => c.id)
        .reverse(),
    );
  });

  test('bad query parameters are 400 naming the field', async () => {
    for (const [query, field] of [
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ cursor: Buffer.from('{"v":1,"id":"a#b"}').toString('base64url') }, 'cursor'],
      [{ sort: 'asc' }, 'sort'],
    ] as const) {
      const r = await list('alice', query);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'IncorrectSignature', field });
    }
    expect((await list('alice', { limit: '100' })).body.chats).toHaveLength(100);
  });

  test('GET /chats/{id} returns the chat and its messages oldest first', async () => {
    const chat = chats[7]!;
    const t0 = Date.UTC(2025, 3, 1);
    await putMessage('alice', {
      id: newId(t0),
      chatId: chat.id,
      role: 'user',
      content: 'How many orders?',
      createdAt: new Date(t0).toISOString(),
      status: 'complete',
    });
    await putMessage('alice', {
      id: newId(t0 + 1000),
      chatId: chat.id,
      role: 'assistant',
      content: 'There are 42.',
      createdAt: new Date(t0 + 1000).toISOString(),
      status: 'incomplete',
      queries: [
        {
          sql: 'select count(*) from orders',
          seq: 2,
          at: 0,
          result: {
            seq: 3,
            columns: [{ name: 'count', type: 'bigint' }],
            rows: [['42']],
            rowCount: 1,
            truncated: false,
          },
        },
      ],
      error: { code: 'Timeout', message: 'ran out of time' },
    });
    const r = await callRoute(routes.getChat, { uid: 'alice', params: { chat_id: chat.id } });
    expect(r.status).toBe(200);
    expect(r.body.chat).toEqual(chat);
    expect(r.body.messages).toEqual([
      {
        id: expect.any(String),
        chatId: chat.id,
        role: 'user',
        content: 'How many orders?',
        createdAt: '2025-04-01T00:00:00.000Z',
        status: 'complete',
      },
      {
        id: expect.any(String),
        chatId: chat.id,
        role: 'assistant',
        content: 'There are 42.',
        createdAt: '2025-04-01T00:00:01.000Z',
        status: 'incomplete',
        // The SQL and the exact `rows` data the live stream showed (positions are internal).
        queries: [
          {
            sql: 'select count(*) from orders',
            result: {
              columns: [{ name: 'count', type: 'bigint' }],
              rows: [['42']],
              rowCount: 1,
              truncated: false,
            },
          },
        ],
        error: { code: 'Timeout', message: 'ran out of time' },
      },
    ]);
  });

  test("another user's chat is 404 on every route and never listed", async () => {
    const chat = chats[3]!;
    expect((await callRoute(routes.getChat, { uid: 'bob', params: { chat_id: chat.id } })).status).toBe(404);
    expect((await callRoute(routes.deleteChat, { uid: 'bob', params: { chat_id: chat.id } })).status).toBe(
      404,
    );
    expect((await list('bob')).body).toEqual({ chats: [], nextCursor: null });
    expect((await list('bob', { connectorId: 'odd' })).body).toEqual({ chats: [], nextCursor: null });
    // Alice's cursor in Bob's hands only walks Bob's own (empty) partition.
    const aliceCursor = (await list('alice', { limit: '5' })).body.nextCursor;
    expect((await list('bob', { cursor: aliceCursor })).body.chats).toEqual([]);
    expect((await callRoute(routes.getChat, { uid: 'alice', params: { chat_id: chat.id } })).status).toBe(
      200,
    );
    expect((await callRoute(routes.getChat, { uid: 'alice', params: { chat_id: 'no#such' } })).status).toBe(
      404,
    );
  });

  test('DELETE /chats/{id} removes the chat and its messages', async () => {
    const chat = await createChat('carol', { connectorId: 'c', title: 'Bye' });
    for (let i = 0; i < 30; i++) {
      await putMessage('carol', {
        id: newId(),
        chatId: chat.id,
        role: 'user',
        content: `m${i}`,
        createdAt: new Date().toISOString(),
        status: 'complete',
      });
    }
    const r = await callRoute(routes.deleteChat, { uid: 'carol', params: { chat_id: chat.id } });
    expect(r).toMatchObject({ status: 204, text: '' });
    expect((await callRoute(routes.getChat, { uid: 'carol', params: { chat_id: chat.id } })).status).toBe(
      404,
    );
    expect((await list('carol')).body.chats).toEqual([]);
  });

  test("deleting a connector keeps its chats' history", async () => {
    const connector = (
      await callRoute(connectorRoutes.createConnector, {
        uid: 'dave',
        body: { name: 'n', host: 'h', database: 'd', user: 'u' },
      })
    ).body.connector;
    const chat = await createChat('dave', { connectorId: connector.id, title: 'Kept' });
    expect(
      (await callRoute(connectorRoutes.deleteConnector, { uid: 'dave', params: { id: connector.id } }))
        .status,
    ).toBe(204);
    expect(
      (await callRoute(routes.getChat, { uid: 'dave', params: { chat_id: chat.id } })).body.chat,
    ).toEqual(chat);
    expect((await list('dave', { connectorId: connector.id })).body.chats).toEqual([chat]);
  });
});
