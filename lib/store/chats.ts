/**
 * Chats and their messages.
 *   chat     PK=USER#<uid>               SK=CHAT#<chatId>   GSI1PK=USER#<uid>#CONNECTOR#<connectorId> GSI1SK=CHAT#<chatId>
 *   message  PK=USER#<uid>#CHAT#<chatId> SK=MSG#<messageId>
 * Ids sort by creation time, so "newest first" and "oldest first" come straight from the sort key.
 */
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Chat } from '../types.js';
import { documentClient, isConditionFailed, queryPages } from './client.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { CHAT_PREFIX, chatSk, connectorChatsPk, isValidId, messagesPk, userPk } from './keys.js';
import { GSI1 } from './table.js';

const table = () => config.tableName;

export const MAX_CHAT_PAGE = 100;

function toChat(item: Record<string, unknown>): Chat {
  const { id, connectorId, title, createdAt, updatedAt } = item as unknown as Chat;
  return { id, connectorId, title, createdAt, updatedAt };
}

/** Creates a chat. The caller may pass an id it made with newId() (e.g. to announce it before storing). */
export async function createChat(
  uid: string,
  input: { connectorId: string; title: string; id?: string },
): Promise<Chat> {
  const id = input.id ?? newId();
  const now = new Date().toISOString();
  const chat: Chat = {
    id,
    connectorId: input.connectorId,
    title: input.title,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await documentClient().send(
      new PutCommand({
        TableName: table(),
        Item: {
          PK: userPk(uid),
          SK: chatSk(id),
          [GSI1.partitionKey]: connectorChatsPk(uid, input.connectorId),
          [GSI1.sortKey]: chatSk(id),
          ...chat,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  } catch (err) {
    if (isConditionFailed(err)) throw new AppError('Conflict', 'A chat with this id already exists');
    throw err;
  }
  return chat;
}

export async function getChat(uid: string, chatId: string): Promise<Chat> {
  if (!isValidId(chatId)) throw notFound('Chat');
  const out = await documentClient().send(
    new GetCommand({ TableName: table(), Key: { PK: userPk(uid), SK: chatSk(chatId) } }),
  );
  if (!out.Item) throw notFound('Chat');
  return toChat(out.Item);
}

/**
 * One page of the user's chats, newest first, optionally only those of one connector (through GSI1).
 * Reads limit+1 items so that nextCursor is null exactly when nothing follows.
 */
export async function listChats(
  uid: string,
  opts: { limit: number; cursor?: string | undefined; connectorId?: string | undefined },
): Promise<{ chats: Chat[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(MAX_CHAT_PAGE, Math.floor(opts.limit)));
  const afterId = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const byConnector = opts.connectorId !== undefined;
  if (byConnector && !isValidId(opts.connectorId)) return { chats: [], nextCursor: null };

  // The start key is rebuilt from the caller's uid: a cursor names only a chat id.
  const pk = userPk(uid);
  const gsiPk = byConnector ? connectorChatsPk(uid, opts.connectorId!) : undefined;
  const startKey =
    afterId === undefined
      ? undefined
      : byConnector
        ? { PK: pk, SK: chatSk(afterId), [GSI1.partitionKey]: gsiPk, [GSI1.sortKey]: chatSk(afterId) }
        : { PK: pk, SK: chatSk(afterId) };

  const out = await documentClient().send(
    new QueryCommand({
      TableName: table(),
      ...(byConnector
        ? {
            IndexName: GSI1.name,
            KeyConditionExpression: `${GSI1.partitionKey} = :pk AND begins_with(${GSI1.sortKey}, :prefix)`,
            ExpressionAttributeValues: { ':pk': gsiPk, ':prefix': CHAT_PREFIX },
          }
        : {
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': CHAT_PREFIX },
          }),
      ScanIndexForward: false,
      Limit: limit + 1,
      ExclusiveStartKey: startKey,
    }),
  );
  const items = out.Items ?? [];
  const chats = items.slice(0, limit).map(toChat);
  // More follows when the extra item came back, or when DynamoDB stopped early (1 MB page) with a key.
  const more = items.length > limit || (out.LastEvaluatedKey !== undefined && chats.length > 0);
  return { chats, nextCursor: more ? encodeCursor(chats[chats.length - 1]!.id) : null };
}

/** Sets the chat's updatedAt (after a new message). NotFound when the chat is gone. */
export async function touchChat(uid: string, chatId: string): Promise<void> {
  if (!isValidId(chatId)) throw notFound('Chat');
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: userPk(uid), SK: chatSk(chatId) },
        UpdateExpression: 'SET updatedAt = :now',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    );
  } catch (err) {
    if (isConditionFailed(err)) throw notFound('Chat');
    throw err;
  }
}

/**
 * Deletes the chat and its messages: messages first, then the chat, so a failure midway leaves a chat that
 * is still listed and can be deleted again, never messages that nothing points to.
 */
export async function deleteChat(uid: string, chatId: string): Promise<void> {
  await getChat(uid, chatId); // NotFound for unknown ids and other users' chats
  for await (const items of queryPages({
    TableName: table(),
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': messagesPk(uid, chatId) },
    ProjectionExpression: 'PK, SK',
  })) {
    await batchDelete(items.map((i) => ({ PK: i.PK, SK: i.SK })));
  }
  await documentClient().send(
    new DeleteCommand({ TableName: table(), Key: { PK: userPk(uid), SK: chatSk(chatId) } }),
  );
}

/** BatchWrite deletes in groups of 25, retrying what DynamoDB leaves unprocessed (with backoff). */
async function batchDelete(keys: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= 8) throw new Error('DynamoDB kept leaving message deletes unprocessed');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await documentClient().send(
        new BatchWriteCommand({ RequestItems: { [table()]: requests } }),
      );
      requests = (out.UnprocessedItems?.[table()] ?? []) as typeof requests;
    }
  }
}
