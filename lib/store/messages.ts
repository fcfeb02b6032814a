/**
 * A chat's messages: PK=USER#<uid>#CHAT#<chatId>, SK=MSG#<messageId> (ids sort by time: oldest first).
 * An assistant reply is created `streaming` with a lease before its first token and checkpointed while it
 * streams; every write is conditional on the reply's event sequence number, so a stale writer can never
 * overwrite a newer state. A `streaming` reply whose lease has passed was left by a writer that died: every
 * read reports it as `incomplete` (error Interrupted), and `markInterrupted` stores that.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { notFound } from '../errors.js';
import type { Message, QueryRecord } from '../types.js';
import { documentClient, isConditionFailed, queryPages } from './client.js';
import { isValidId, MESSAGE_PREFIX, messageSk, messagesPk, withoutKeys } from './keys.js';

const table = () => config.tableName;

const INTERRUPTED = {
  code: 'Interrupted',
  message: 'The reply was interrupted: the process writing it stopped before it finished',
} as const;

/** What a reader must see: a `streaming` reply whose writer's lease has passed is `incomplete`. */
export function effectiveMessage(m: Message, now = Date.now()): Message {
  if (m.status !== 'streaming' || (m.leaseUntil ?? 0) >= now) return m;
  return { ...m, status: 'incomplete', error: m.error ?? { ...INTERRUPTED } };
}

const toMessage = (item: Record<string, unknown>): Message => withoutKeys(item) as unknown as Message;

/** Creates or overwrites a message (by id). Use ids from newId() so messages sort by time. */
export async function putMessage(uid: string, message: Message): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: table(),
      Item: { PK: messagesPk(uid, message.chatId), SK: messageSk(message.id), ...message },
    }),
  );
}

/** Creates a message that must not exist yet (a reply's streaming placeholder). */
export async function createMessage(uid: string, message: Message): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: table(),
      Item: { PK: messagesPk(uid, message.chatId), SK: messageSk(message.id), ...message },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

/** One message as stored (raw status: callers apply effectiveMessage). NotFound when missing. */
export async function getMessage(uid: string, chatId: string, messageId: string): Promise<Message> {
  if (!isValidId(chatId) || !isValidId(messageId)) throw notFound('Message');
  const out = await documentClient().send(
    new GetCommand({
      TableName: table(),
      Key: { PK: messagesPk(uid, chatId), SK: messageSk(messageId) },
      ConsistentRead: true,
    }),
  );
  if (!out.Item) throw notFound('Message');
  return toMessage(out.Item);
}

/** Every message of the chat, oldest first (all pages), as stored. An unknown chat has none. */
export async function listMessages(uid: string, chatId: string): Promise<Message[]> {
  if (!isValidId(chatId)) return [];
  const messages: Message[] = [];
  for await (const items of queryPages({
    TableName: table(),
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': messagesPk(uid, chatId), ':prefix': MESSAGE_PREFIX },
  })) {
    for (const item of items) messages.push(toMessage(item));
  }
  return messages;
}

export interface Checkpoint {
  content: string;
  queries: QueryRecord[];
  lastSeq: number;
  leaseUntil: number;
  /** Set by the final write; absent while the reply still streams. */
  final?: { status: 'complete' | 'incomplete'; error?: { code: string; message: string } };
}

/**
 * Writes a streaming reply's state. Conditional: the message is still `streaming` and its stored sequence
 * number is not above this one (equal: a lease renewal or a final write that adds no event). Returns false
 * when the condition failed: a newer state is stored, or a reader already declared the writer dead.
 */
export async function checkpointMessage(
  uid: string,
  chatId: string,
  messageId: string,
  cp: Checkpoint,
): Promise<boolean> {
  const values: Record<string, unknown> = {
    ':content': cp.content,
    ':queries': cp.queries,
    ':seq': cp.lastSeq,
    ':streaming': 'streaming',
    ':status': cp.final?.status ?? 'streaming',
  };
  let update = 'SET content = :content, queries = :queries, lastSeq = :seq, #status = :status';
  if (cp.final) {
    update += cp.final.error ? ', #error = :error' : '';
    update += ' REMOVE leaseUntil';
    if (cp.final.error) values[':error'] = cp.final.error;
  } else {
    update += ', leaseUntil = :lease';
    values[':lease'] = cp.leaseUntil;
  }
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: messagesPk(uid, chatId), SK: messageSk(messageId) },
        UpdateExpression: update,
        ConditionExpression: '#status = :streaming AND lastSeq <= :seq',
        ExpressionAttributeNames: { '#status': 'status', ...(cp.final?.error ? { '#error': 'error' } : {}) },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** The message as readers see it (effectiveMessage); a writer found dead is stored as interrupted on the way. */
export async function settleMessage(
  uid: string,
  chatId: string,
  m: Message,
  now = Date.now(),
): Promise<Message> {
  const seen = effectiveMessage(m, now);
  if (seen !== m) await markInterrupted(uid, chatId, m.id, now);
  return seen;
}

/** Stores that a reply's writer died (its lease passed). No-op when it finished or renewed meanwhile. */
export async function markInterrupted(uid: string, chatId: string, messageId: string, now = Date.now()) {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: messagesPk(uid, chatId), SK: messageSk(messageId) },
        UpdateExpression: 'SET #status = :incomplete, #error = :error REMOVE leaseUntil',
        ConditionExpression: '#status = :streaming AND leaseUntil < :now',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':incomplete': 'incomplete',
          ':streaming': 'streaming',
          ':error': { ...INTERRUPTED },
          ':now': now,
        },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}
