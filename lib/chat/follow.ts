/**
 * A reply's events after a position, for a client that reconnects (Last-Event-ID) or retries its POST:
 * first what is stored, then, while another invocation is still writing the reply, what it checkpoints
 * next (polling the item with backoff), ending exactly like the live stream with `stored` then `done` or
 * `error`. Before this function's own deadline it ends with a `retry:` hint, so an EventSource reconnects
 * with the last id it received and carries on.
 */
import type { SseStream } from '../http/sse-stream.js';
import type { Logger } from '../log.js';
import { getMessage, settleMessage } from '../store/messages.js';
import type { Chat, Message } from '../types.js';
import { formatEventId, type Position } from './event-id.js';
import { endOf, eventsAfter, type ReplyState } from './reply-state.js';
import { chatEventData } from './start.js';

export interface FollowOptions {
  uid: string;
  chat: Chat;
  /** The reply as read before the stream started (it is re-read while it streams). */
  message: Message;
  from: Position;
  remainingMs: () => number;
  log: Logger;
  /** Polling backoff while the reply is still being written. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** End with a `retry:` hint when less than this is left of the function's time. */
  closeMarginMs?: number;
}

/** What an EventSource waits before reconnecting after the stream ends with a retry hint. */
const RECONNECT_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stateOf = (m: Message): ReplyState => ({
  content: m.content,
  queries: m.queries ?? [],
  lastSeq: m.lastSeq ?? 0,
});

export async function followReply(stream: SseStream, o: FollowOptions): Promise<void> {
  const minMs = o.pollMinMs ?? 50;
  const maxMs = o.pollMaxMs ?? 1_000;
  const closeMarginMs = o.closeMarginMs ?? 10_000;
  const id = o.message.id;
  let pos = o.from;
  const send = async (event: string, data: unknown, at: Position) => {
    await stream.send(event, data, formatEventId(id, at));
    pos = at;
  };
  if (pos.seq < 0)
    await send('chat', chatEventData(o.chat, o.message.replyTo ?? '', id), { seq: 0, chars: 0 });

  let message = o.message;
  let delay = minMs;
  for (;;) {
    const seen = await settleMessage(o.uid, o.chat.id, message);
    const state = stateOf(seen);
    const events = eventsAfter(id, state, pos);
    for (const e of events) {
      await stream.send(e.event, e.data, e.id);
    }
    if (events.length > 0) {
      pos = { seq: Math.max(pos.seq, state.lastSeq), chars: state.content.length };
      delay = minMs;
    }
    if (seen.status !== 'streaming') {
      const end = endOf(state);
      const ids = { chatId: o.chat.id, userMessageId: seen.replyTo ?? '', assistantMessageId: id };
      if (pos.seq < end.seq + 1)
        await send('stored', { ...ids, status: seen.status }, { seq: end.seq + 1, chars: end.chars });
      if (pos.seq < end.seq + 2) {
        if (seen.status === 'complete') await send('done', {}, { seq: end.seq + 2, chars: end.chars });
        else
          await send('error', seen.error ?? { code: 'Interrupted', message: 'The reply was interrupted' }, {
            seq: end.seq + 2,
            chars: end.chars,
          });
      }
      return;
    }
    if (stream.clientGone) return;
    if (o.remainingMs() < closeMarginMs + delay) {
      o.log.info('follow stream handed over to a reconnect', { lastSeq: pos.seq });
      await stream.retry(RECONNECT_MS);
      return;
    }
    await sleep(delay);
    // Gentle growth: a live writer checkpoints every second, so its next state is never far off.
    delay = Math.min(maxMs, Math.ceil(delay * 1.5));
    message = await getMessage(o.uid, o.chat.id, id);
  }
}
