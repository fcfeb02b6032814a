/**
 * The model routes: start a chat, post a message, follow a reply's events, explain a query. Everything a
 * client must see as an HTTP status (400, 404, 409, 503) is decided before a stream starts, in that order
 * (an unknown chat is a 404 even when no model is configured); the streaming itself lives in lib/chat/.
 * Stream events and their ids are documented in docs/streams.md.
 */
import * as z from 'zod/mini';
import { START, parseEventId } from '../lib/chat/event-id.js';
import { explainToJson, explainToStream, type ExplainInput } from '../lib/chat/explain.js';
import { followReply } from '../lib/chat/follow.js';
import { streamReply } from '../lib/chat/reply.js';
import { idsOf, startChat, startReply, type ReplyIds } from '../lib/chat/start.js';
import { config } from '../lib/config.js';
import { isAppError, notFound } from '../lib/errors.js';
import { parseBody } from '../lib/http/body.js';
import { idempotent } from '../lib/http/idempotent.js';
import { json, sse, type Reply, type RouteContext, type RouteHandler } from '../lib/http/types.js';
import { text } from '../lib/http/validators.js';
import { getModelClient } from '../lib/model/client.js';
import { deriveTitle } from '../lib/model/title.js';
import { explainQuery as explainPlan } from '../lib/postgres/explain.js';
import { MAX_SQL_CHARS } from '../lib/postgres/sql-limits.js';
import * as chats from '../lib/store/chats.js';
import { getConnectorAccess, type ConnectorAccess } from '../lib/store/connectors.js';
import { effectiveMessage, getMessage, listMessages } from '../lib/store/messages.js';

const MAX_MESSAGE_CHARS = 20_000;

const createChatBody = z.strictObject({ message: text(MAX_MESSAGE_CHARS), title: z.optional(text(200)) });
const postMessageBody = z.strictObject({ message: text(MAX_MESSAGE_CHARS) });
const explainBody = z.strictObject({ sql: text(MAX_SQL_CHARS) });

const invocationOf = (ctx: RouteContext) => ({
  uid: ctx.user.uid,
  log: ctx.log,
  remainingMs: () => ctx.remainingMs(),
  shutdown: ctx.shutdown,
});

/** A retried request, or a reconnect: the reply's events from the start (following it while it streams). */
async function followFromStart(ctx: RouteContext, ids: ReplyIds): Promise<Reply> {
  return follow(ctx, ids.chatId, ids.assistantMessageId, undefined);
}

async function follow(ctx: RouteContext, chatId: string, messageId: string, lastEventId: string | undefined) {
  const uid = ctx.user.uid;
  const chat = await chats.getChat(uid, chatId); // NotFound for other users' chats too
  const message = await getMessage(uid, chatId, messageId);
  if (message.role !== 'assistant') throw notFound('Message');
  const from = parseEventId(lastEventId, messageId) ?? START;
  return sse((stream) =>
    followReply(stream, { uid, chat, message, from, remainingMs: () => ctx.remainingMs(), log: ctx.log }),
  );
}

export const createChat: RouteHandler = async (ctx) => {
  const body = parseBody(ctx, createChatBody);
  const access = await getConnectorAccess(ctx.user.uid, ctx.params.id ?? ''); // 404 first
  const client = await getModelClient(); // then 503, before anything is stored
  return idempotent<ReplyIds>(
    ctx,
    'chats.create',
    { connectorId: access.connector.id, ...body },
    {
      async run() {
        const plan = await startChat(invocationOf(ctx), {
          client,
          database: access,
          title: body.title ?? deriveTitle(body.message),
          message: body.message,
        });
        return { remember: idsOf(plan), reply: sse((stream) => streamReply(stream, plan)) };
      },
      replay: (ids) => followFromStart(ctx, ids),
    },
  );
};

/** The chat's connector, or undefined when it was deleted: the chat goes on without data (docs/api.md). */
async function databaseOf(uid: string, connectorId: string): Promise<ConnectorAccess | undefined> {
  try {
    return await getConnectorAccess(uid, connectorId);
  } catch (err) {
    if (isAppError(err, 'NotFound')) return undefined;
    throw err;
  }
}

export const postMessage: RouteHandler = async (ctx) => {
  const body = parseBody(ctx, postMessageBody);
  const uid = ctx.user.uid;
  const chat = await chats.getChat(uid, ctx.params.chat_id ?? ''); // 404 first
  const client = await getModelClient();
  return idempotent<ReplyIds>(
    ctx,
    'chats.message',
    { chatId: chat.id, ...body },
    {
      async run() {
        const database = await databaseOf(uid, chat.connectorId);
        // A reply still being written by another invocation is left out of the history.
        const history = (await listMessages(uid, chat.id))
          .map((m) => effectiveMessage(m))
          .filter((m) => m.status !== 'streaming');
        const plan = await startReply(invocationOf(ctx), {
          client,
          chat,
          database,
          history,
          message: body.message,
        });
        return { remember: idsOf(plan), reply: sse((stream) => streamReply(stream, plan)) };
      },
      replay: (ids) => followFromStart(ctx, ids),
    },
  );
};

/** GET /chats/{chat_id}/messages/{message_id}/events — EventSource-compatible resumption. */
export const messageEvents: RouteHandler = async (ctx) =>
  follow(
    ctx,
    ctx.params.chat_id ?? '',
    ctx.params.message_id ?? '',
    ctx.headers['last-event-id'] ?? ctx.query.lastEventId,
  );

/** SSE when the client asks for it (`Accept: text/event-stream` or `?stream=true`), JSON otherwise. */
const wantsStream = (ctx: RouteContext) =>
  (ctx.headers.accept ?? '').includes('text/event-stream') ||
  ctx.query.stream === 'true' ||
  ctx.query.stream === '1';

export const explainQuery: RouteHandler = async (ctx) => {
  const { sql } = parseBody(ctx, explainBody);
  const uid = ctx.user.uid;
  const access = await getConnectorAccess(uid, ctx.params.id ?? '');
  const client = await getModelClient();
  const plan = await explainPlan(access.conn, sql); // SqlError → 400 before any stream
  const input: ExplainInput = {
    uid,
    access,
    client,
    sql,
    plan,
    log: ctx.log,
    deadlineAt: Date.now() + ctx.remainingMs() - config.modelDeadlineMarginMs,
    stop: ctx.shutdown,
  };
  if (!wantsStream(ctx)) return json(200, await explainToJson(input));
  return sse((stream) => explainToStream(stream, input));
};
