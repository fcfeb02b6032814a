/** Chat history routes (creating chats and messages belongs to the conversation routes). */
import { badRequest } from '../lib/errors.js';
import { parsePageQuery } from '../lib/http/page-query.js';
import { json, noContent, type RouteHandler } from '../lib/http/types.js';
import * as store from '../lib/store/chats.js';
import { listMessages, settleMessage } from '../lib/store/messages.js';
import type { Message, QueryRecord } from '../lib/types.js';

const DEFAULT_LIMIT = 50;

function parseListQuery(query: Record<string, string>) {
  const page = parsePageQuery(query, store.MAX_CHAT_PAGE, DEFAULT_LIMIT, ['connectorId']);
  const connectorId = query.connectorId === '' ? undefined : query.connectorId;
  if (connectorId !== undefined && connectorId.length > 64) {
    throw badRequest('Invalid query field "connectorId": must be at most 64 characters', {
      field: 'connectorId',
    });
  }
  return { ...page, connectorId };
}

export const listChats: RouteHandler = async (ctx) => {
  const page = await store.listChats(ctx.user.uid, parseListQuery(ctx.query));
  return json(200, page);
};

/** A query as the client saw it: the SQL, then its `rows` or `query_error` data. */
const publicQuery = (q: QueryRecord) => {
  const { seq: _rs, ...result } = q.result ?? { seq: 0 };
  const { seq: _es, ...error } = q.error ?? { seq: 0 };
  return { sql: q.sql, ...(q.result ? { result } : {}), ...(q.error ? { error } : {}) };
};

const publicMessage = (m: Message) => ({
  id: m.id,
  chatId: m.chatId,
  role: m.role,
  content: m.content,
  createdAt: m.createdAt,
  status: m.status,
  ...(m.queries?.length ? { queries: m.queries.map(publicQuery) } : {}),
  ...(m.error !== undefined ? { error: m.error } : {}),
});

/** The chat and its messages; a reply still streaming shows its partial content so far. */
export const getChat: RouteHandler = async (ctx) => {
  const uid = ctx.user.uid;
  const chatId = ctx.params.chat_id ?? '';
  const chat = await store.getChat(uid, chatId);
  const now = Date.now();
  // A writer that died leaves `streaming` behind: the first read that notices stores what it means.
  const messages = await Promise.all(
    (await listMessages(uid, chatId)).map((m) => settleMessage(uid, chatId, m, now)),
  );
  return json(200, { chat, messages: messages.map(publicMessage) });
};

export const deleteChat: RouteHandler = async (ctx) => {
  const chatId = ctx.params.chat_id ?? '';
  await store.deleteChat(ctx.user.uid, chatId);
  ctx.log.info('chat deleted', { chatId });
  return noContent();
};
