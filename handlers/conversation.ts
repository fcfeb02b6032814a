/**
 * The model routes: start a chat, post a message, explain a query (following a reply: handlers/events.ts). Everything a
 * client must see as an HTTP status (400, 404, 409, 503, 429) is decided before a stream starts, in that
 * order (an unknown chat is a 404 even when no model is configured); the streaming itself lives in
 * lib/chat/. Each stream holds a lease of the user's stream limits until it ends (lib/limits).
 * Stream events and their ids are documented in docs/streams.md.
 */
import * as z from 'zod/mini';
import { explainToJson, explainToStream, type ExplainInput } from '../lib/chat/explain.js';
import { streamReply } from '../lib/chat/reply.js';
import { idsOf, startChat, startReply, type ReplyIds, type ReplyPlan } from '../lib/chat/start.js';
import { config } from '../lib/config.js';
import { isAppError } from '../lib/errors.js';
import { countedSqlSession, withSqlSlot } from '../lib/limits/sql.js';
import { takeStreamLease } from '../lib/limits/streams.js';
import { checkTokenBudget } from '../lib/limits/tokens.js';
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
import { effectiveMessage, listMessages } from '../lib/store/messages.js';
import { followFromStart } from './events.js';

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

/** The day's model budget, then a stream lease (429s); the lease lasts as long as the reply, or ends if making it fails. */
async function underModelLease(ctx: RouteContext, make: () => Promise<Reply>): Promise<Reply> {
  await checkTokenBudget(ctx.user.uid);
  const lease = await takeStreamLease(ctx, 'model');
  try {
    return await lease.during(await make());
  } catch (err) {
    await lease.release();
    throw err;
  }
}

/** A chat reply under the model lease: the stored start of the reply, then its stream. */
async function modelStream(
  ctx: RouteContext,
  start: () => Promise<ReplyPlan>,
): Promise<{ remember: ReplyIds; reply: Reply }> {
  let remember: ReplyIds | undefined;
  const reply = await underModelLease(ctx, async () => {
    const plan = await start();
    remember = idsOf(plan);
    return sse((stream) => streamReply(stream, plan));
  });
  return { remember: remember!, reply };
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
      run: () =>
        modelStream(ctx, () =>
          startChat(invocationOf(ctx), {
            client,
            database: access,
            title: body.title ?? deriveTitle(body.message),
            message: body.message,
          }),
        ),
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
      run: () =>
        modelStream(ctx, async () => {
          const database = await databaseOf(uid, chat.connectorId);
          // A reply still being written by another invocation is left out of the history.
          const history = (await listMessages(uid, chat.id))
            .map((m) => effectiveMessage(m))
            .filter((m) => m.status !== 'streaming');
          return startReply(invocationOf(ctx), { client, chat, database, history, message: body.message });
        }),
      replay: (ids) => followFromStart(ctx, ids, chat),
    },
  );
};

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
  return underModelLease(ctx, () => explainReply(ctx, { uid, access, client, sql }));
};

/** The plan (a SQL request: counted, and run in one of the connector's slots), then the model's explanation. */
async function explainReply(
  ctx: RouteContext,
  o: Pick<ExplainInput, 'uid' | 'access' | 'client' | 'sql'>,
): Promise<Reply> {
  const session = await countedSqlSession(ctx, o.access.connector.id, config.statementTimeoutMs);
  const plan = await withSqlSlot(session, () => explainPlan(o.access.conn, o.sql)); // SqlError → 400 before any stream
  const input: ExplainInput = {
    ...o,
    plan,
    log: ctx.log,
    deadlineAt: Date.now() + ctx.remainingMs() - config.modelDeadlineMarginMs,
    stop: ctx.shutdown,
  };
  if (!wantsStream(ctx)) return json(200, await explainToJson(input));
  return sse((stream) => explainToStream(stream, input));
}
