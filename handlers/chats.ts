/** Chat history routes (creating chats and messages belongs to the conversation routes). */
import { badRequest } from '../lib/errors.js';
import { json, noContent, type RouteHandler } from '../lib/http/types.js';
import * as store from '../lib/store/chats.js';
import { effectiveMessage, listMessages, markInterrupted } from '../lib/store/messages.js';
import type { Message, QueryRecord } from '../lib/types.js';

const DEFAULT_LIMIT = 50;

/** Query parameters checked by hand: this list route is hot and does not need zod. */
function parseListQuery(query: Record<string, string>) {
  const allowed = new Set(['limit', 'cursor', 'connectorId']);
  const unknown = Object.keys(query).find((k) => !allowed.has(k));
  if (unknown !== undefined) {
    throw badRequest(`Invalid query field "${unknown}": is not a known parameter`, { field: unknown });
  }
  let limit = DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d{1,3}$/.test(query.limit) || limit < 1 || limit > store.MAX_CHAT_PAGE) {
      throw badRequest(`Invalid query field "limit": must be an integer from 1 to ${store.MAX_CHAT_PAGE}`, {
        field: 'limit',
      });
    }
  }
  const cursor = query.cursor === '' ? undefined : query.cursor;
  const connectorId = query.connectorId === '' ? undefined : query.connectorId;
  if (connectorId !== undefined && connectorId.length > 64) {
    throw badRequest('Invalid query field "connectorId": must be at most 64 characters', {
      field: 'connectorId',
    });
  }
  return { limit, cursor, connectorId };
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
  const stored = await listMessages(uid, chatId);
  const messages = stored.map((m) => effectiveMessage(m, now));
  // A writer that died leaves `streaming` behind: the first read that notices stores what it means.
  const dead = stored.filter((m, i) => m.status !== messages[i]!.status);
  await Promise.all(dead.map((m) => markInterrupted(uid, chatId, m.id, now)));
  return json(200, { chat, messages: messages.map(publicMessage) });
};

export const deleteChat: RouteHandler = async (ctx) => {
  const chatId = ctx.params.chat_id ?? '';
  await store.deleteChat(ctx.user.uid, chatId);
  ctx.log.info('chat deleted', { chatId });
  return noContent();
};
