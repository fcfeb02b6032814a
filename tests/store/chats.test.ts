import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { documentClient } from '../../lib/store/client.js';
import { createChat, deleteChat, getChat, listChats, touchChat } from '../../lib/store/chats.js';
import { listMessages, putMessage } from '../../lib/store/messages.js';
import { encodeCursor } from '../../lib/store/cursor.js';
import type { Chat, Message } from '../../lib/types.js';
import { useDynamo } from '../support/dynamo.js';

const dynamo = useDynamo();

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof AppError ? e.code : `not an AppError: ${String(e)}`),
  );

const message = (chatId: string, i: number, over: Partial<Message> = {}): Message => ({
  id: newId(Date.UTC(2025, 0, 1) + i),
  chatId,
  role: i % 2 === 0 ? 'user' : 'assistant',
  content: `message ${i}`,
  createdAt: new Date(Date.UTC(2025, 0, 1) + i).toISOString(),
  status: 'complete',
  ...over,
});

/** Reads every page; returns ids in the order served. */
async function readAll(uid: string, opts: { limit: number; connectorId?: string }) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listChats(uid, { ...opts, cursor });
    expect(page.chats.length).toBeLessThanOrEqual(opts.limit);
    ids.push(...page.chats.map((c) => c.id));
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor);
  return { ids, pages };
}

describe('chat store', () => {
  const many: Chat[] = [];

  beforeAll(async () => {
    // 120 chats for one user, alternating between two connectors, with increasing (time-sortable) ids.
    const base = Date.UTC(2025, 5, 1);
    for (let i = 0; i < 120; i++) {
      many.push(
        await createChat('pager', {
          connectorId: i % 3 === 0 ? 'conn-a' : 'conn-b',
          title: `chat ${i}`,
          id: newId(base + i * 1000),
        }),
      );
    }
  });

  test('create, get, touch', async () => {
    const chat = await createChat('u1', { connectorId: 'c1', title: 'Hello' });
    expect(chat).toMatchObject({ connectorId: 'c1', title: 'Hello' });
    expect(await getChat('u1', chat.id)).toEqual(chat);
    await new Promise((r) => setTimeout(r, 5));
    await touchChat('u1', chat.id);
    const touched = await getChat('u1', chat.id);
    expect(touched.updatedAt > chat.updatedAt).toBe(true);
    expect(await code(createChat('u1', { connectorId: 'c1', title: 'dup', id: chat.id }))).toBe('Conflict');
  });

  test('pagination over 120 chats returns each exactly once, newest first', async () => {
    const { ids, pages } = await readAll('pager', { limit: 50 });
    expect(pages).toBe(3);
    const expected = many.map((c) => c.id).reverse();
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(120);
  });

  test('a page that ends exactly at the last chat has no next cursor', async () => {
    const { ids, pages } = await readAll('pager', { limit: 40 });
    expect(ids).toHaveLength(120);
    expect(pages).toBe(3);
  });

  test('connectorId filter paginates through the index', async () => {
    const a = many
      .filter((_, i) => i % 3 === 0)
      .map((c) => c.id)
      .reverse();
    const b = many
      .filter((_, i) => i % 3 !== 0)
      .map((c) => c.id)
      .reverse();
    expect((await readAll('pager', { limit: 7, connectorId: 'conn-a' })).ids).toEqual(a);
    expect((await readAll('pager', { limit: 50, connectorId: 'conn-b' })).ids).toEqual(b);
    expect((await listChats('pager', { limit: 10, connectorId: 'nope' })).chats).toEqual([]);
  });

  test('a tampered cursor is a 400, and a cursor cannot reach another user', async () => {
    const first = await listChats('pager', { limit: 5 });
    for (const bad of ['garbage!', 'eyJ2IjoyfQ', first.nextCursor!.slice(0, -3) + 'zzz', 'x'.repeat(600)]) {
      expect(await code(listChats('pager', { limit: 5, cursor: bad }))).toBe('IncorrectSignature');
    }
    // Another user's cursor only names a chat id; the key is rebuilt in the caller's own partition.
    await createChat('intruder', { connectorId: 'c', title: 'mine' });
    const page = await listChats('intruder', { limit: 5, cursor: first.nextCursor! });
    expect(page.chats.every((c) => c.title === 'mine')).toBe(true);
    expect(page.chats.some((c) => many.some((m) => m.id === c.id))).toBe(false);
    // A hand-made cursor with a key-like id is refused outright.
    expect(
      await code(
        listChats('intruder', {
          limit: 5,
          cursor: Buffer.from('{"v":1,"id":"x#USER#pager"}').toString('base64url'),
        }),
      ),
    ).toBe('IncorrectSignature');
    expect(await code(listChats('pager', { limit: 5, cursor: encodeCursor(many[3]!.id) }))).toBe('resolved');
  });

  test('messages: put, overwrite by id, list oldest first across pages', async () => {
    const chat = await createChat('u2', { connectorId: 'c1', title: 'Long' });
    const big = 'x'.repeat(20_000); // 80 messages × 20 KB > 1 MB: the query needs several pages
    const written: Message[] = [];
    for (let i = 0; i < 80; i++) {
      written.push(message(chat.id, i, { content: `${i}:${big}` }));
      await putMessage('u2', written[i]!);
    }
    const last: Message = {
      ...written[79]!,
      content: 'final',
      status: 'incomplete',
      queries: [
        {
          sql: 'select 1',
          seq: 1,
          at: 0,
          result: {
            seq: 2,
            columns: [{ name: '?column?', type: 'integer' }],
            rows: [[1]],
            rowCount: 1,
            truncated: false,
          },
        },
      ],
      error: { code: 'LlmError', message: 'stopped' },
    };
    await putMessage('u2', last);
    const listed = await listMessages('u2', chat.id);
    expect(listed).toHaveLength(80);
    expect(listed.map((m) => Number(m.content.split(':')[0]))).toEqual([...Array(79).keys()].concat(NaN));
    expect(listed[79]).toEqual(last);
    expect(listed.map((m) => m.id)).toEqual(written.map((m) => m.id));
    expect(await listMessages('someone-else', chat.id)).toEqual([]);
  });

  test('users are isolated', async () => {
    const chat = await createChat('alice', { connectorId: 'c1', title: 'Private' });
    await putMessage('alice', message(chat.id, 1));
    expect(await code(getChat('bob', chat.id))).toBe('NotFound');
    expect(await code(deleteChat('bob', chat.id))).toBe('NotFound');
    expect(await code(touchChat('bob', chat.id))).toBe('NotFound');
    expect((await listChats('bob', { limit: 100 })).chats).toEqual([]);
    expect((await listChats('bob', { limit: 100, connectorId: 'c1' })).chats).toEqual([]);
    expect(await listMessages('bob', chat.id)).toEqual([]);
    expect((await getChat('alice', chat.id)).title).toBe('Private');
  });

  test('deleting a chat removes its messages, then the chat', async () => {
    const chat = await createChat('u3', { connectorId: 'c9', title: 'Doomed' });
    for (let i = 0; i < 60; i++) await putMessage('u3', message(chat.id, i)); // more than one batch of 25
    await deleteChat('u3', chat.id);
    expect(await code(getChat('u3', chat.id))).toBe('NotFound');
    const left = await documentClient().send(
      new QueryCommand({
        TableName: dynamo.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `USER#u3#CHAT#${chat.id}` },
      }),
    );
    expect(left.Items).toEqual([]);
    expect((await listChats('u3', { limit: 10, connectorId: 'c9' })).chats).toEqual([]);
    expect(await code(deleteChat('u3', chat.id))).toBe('NotFound');
  });
});
