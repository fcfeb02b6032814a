/**
 * Following a reply's events: `GET /chats/{chat_id}/messages/{message_id}/events` (EventSource-compatible
 * resumption after Last-Event-ID) and the replay that answers a retried POST. A route of its own so that a
 * reconnect, which happens at every invocation hand-over, loads neither the model SDK nor pg nor zod.
 * Event ids are documented in docs/streams.md.
 */
import { START, parseEventId } from '../lib/chat/event-id.js';
import { followReply } from '../lib/chat/follow.js';
import type { ReplyIds } from '../lib/chat/start.js';
import { notFound } from '../lib/errors.js';
import { sse, type Reply, type RouteContext, type RouteHandler } from '../lib/http/types.js';
import { takeStreamLease } from '../lib/limits/streams.js';
import * as chats from '../lib/store/chats.js';
import { getMessage } from '../lib/store/messages.js';
import type { Chat } from '../lib/types.js';

/** A retried request: the reply's events from the start (following it while it streams). */
export async function followFromStart(ctx: RouteContext, ids: ReplyIds, chat?: Chat): Promise<Reply> {
  return follow(
    ctx,
    chat ?? (await chats.getChat(ctx.user.uid, ids.chatId)),
    ids.assistantMessageId,
    undefined,
  );
}

async function follow(ctx: RouteContext, chat: Chat, messageId: string, lastEventId: string | undefined) {
  const uid = ctx.user.uid;
  const message = await getMessage(uid, chat.id, messageId);
  if (message.role !== 'assistant') throw notFound('Message');
  const from = parseEventId(lastEventId, messageId) ?? START;
  const lease = await takeStreamLease(ctx, 'follow');
  return lease.during(
    sse((stream) =>
      followReply(stream, { uid, chat, message, from, remainingMs: () => ctx.remainingMs(), log: ctx.log }),
    ),
  );
}

export const messageEvents: RouteHandler = async (ctx) =>
  follow(
    ctx,
    await chats.getChat(ctx.user.uid, ctx.params.chat_id ?? ''), // NotFound for other users' chats too
    ctx.params.message_id ?? '',
    ctx.headers['last-event-id'] ?? ctx.query.lastEventId,
  );
