/**
 * Starting a reply: everything that must be stored before the model is called, in an order that never
 * leaves half-written data behind. The user's message is stored first, then the assistant's reply as a
 * `streaming` placeholder holding a lease, so that a retry or a reconnecting client can follow it from its
 * first event, and a writer that dies leaves a reply that reads as interrupted.
 */
import { config } from '../config.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import type { ModelClient } from '../model/client.js';
import * as chats from '../store/chats.js';
import type { ConnectorAccess } from '../store/connectors.js';
import { createMessage, putMessage } from '../store/messages.js';
import type { Chat, Message } from '../types.js';
import { leaseUntil } from './recorder.js';

/** How long past the invocation's deadline a reply's lease may last (time to store it). */
const LEASE_MARGIN_MS = 5_000;

export interface ReplyIds {
  chatId: string;
  userMessageId: string;
  assistantMessageId: string;
}

export interface ReplyPlan {
  uid: string;
  log: Logger;
  client: ModelClient;
  chat: Chat;
  /** Undefined when the chat's connector was deleted: the chat goes on without data. */
  database: ConnectorAccess | undefined;
  /** Earlier messages, as readers see them, oldest first. */
  history: Message[];
  userMessage: Message;
  assistantMessageId: string;
  /** Epoch ms when generation must stop (the function's deadline minus the model's margin). */
  deadlineAt: number;
  /** Epoch ms the reply's lease may never pass. */
  hardLeaseUntil: number;
  stop: AbortSignal;
}

export interface Invocation {
  uid: string;
  log: Logger;
  remainingMs: () => number;
  shutdown: AbortSignal;
}

/** The `chat` event's data: the first event of every reply stream, live or resumed. */
export const chatEventData = (chat: Chat, userMessageId: string, assistantMessageId: string) => ({
  chatId: chat.id,
  connectorId: chat.connectorId,
  title: chat.title,
  userMessageId,
  assistantMessageId,
});

export const idsOf = (plan: ReplyPlan): ReplyIds => ({
  chatId: plan.chat.id,
  userMessageId: plan.userMessage.id,
  assistantMessageId: plan.assistantMessageId,
});

/** Stores the user's message and the reply's placeholder; the plan is what the reply loop needs. */
export async function startReply(
  inv: Invocation,
  input: {
    client: ModelClient;
    chat: Chat;
    database: ConnectorAccess | undefined;
    history: Message[];
    message: string;
  },
): Promise<ReplyPlan> {
  const now = Date.now();
  const userMessage: Message = {
    id: newId(now),
    chatId: input.chat.id,
    role: 'user',
    content: input.message,
    createdAt: new Date(now).toISOString(),
    status: 'complete',
  };
  await putMessage(inv.uid, userMessage);
  const remaining = inv.remainingMs();
  const hardLeaseUntil = Date.now() + remaining + LEASE_MARGIN_MS;
  // Strictly after the user message in time, so the sort key orders the pair even within one millisecond.
  const assistantMessageId = newId(Math.max(Date.now(), now + 1));
  await createMessage(inv.uid, {
    id: assistantMessageId,
    chatId: input.chat.id,
    role: 'assistant',
    content: '',
    createdAt: new Date().toISOString(),
    status: 'streaming',
    replyTo: userMessage.id,
    queries: [],
    lastSeq: 0,
    leaseUntil: leaseUntil(hardLeaseUntil, config.replyLeaseMs),
  });
  return {
    uid: inv.uid,
    log: inv.log.child({ chatId: input.chat.id, messageId: assistantMessageId }),
    client: input.client,
    chat: input.chat,
    database: input.database,
    history: input.history,
    userMessage,
    assistantMessageId,
    deadlineAt: Date.now() + remaining - config.modelDeadlineMarginMs,
    hardLeaseUntil,
    stop: inv.shutdown,
  };
}

/** A new chat and its first reply; the chat is taken back when its first messages cannot be stored. */
export async function startChat(
  inv: Invocation,
  input: { client: ModelClient; database: ConnectorAccess; title: string; message: string },
): Promise<ReplyPlan> {
  const chat = await chats.createChat(inv.uid, {
    connectorId: input.database.connector.id,
    title: input.title,
  });
  try {
    const plan = await startReply(inv, { ...input, chat, history: [] });
    inv.log.info('chat created', { chatId: chat.id, connectorId: chat.connectorId });
    return plan;
  } catch (err) {
    // A chat without its first message would be half-written data.
    await chats
      .deleteChat(inv.uid, chat.id)
      .catch((e: unknown) => inv.log.error('could not remove a half-created chat', e, { chatId: chat.id }));
    throw err;
  }
}
