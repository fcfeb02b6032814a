/**
 * The model routes: start a chat, post a message, explain a query. Everything a client must see as an HTTP
 * status (400, 404, 409, 503) is decided before the SSE stream starts; once it has started, failures become
 * an `error` event after whatever exists of the reply has been stored.
 *
 * Chat stream events (each with an id `<assistantMessageId>:<n>`, unique within the chat):
 *   chat {chatId, connectorId, title, userMessageId, assistantMessageId}   first, at once
 *   token {text}                                                           as the model writes
 *   query {sql} then rows {columns, rows, rowCount, truncated} | query_error {sql, code, message}
 *   stored {chatId, userMessageId, assistantMessageId, status}             the reply is in DynamoDB
 *   done {}  — or —  error {code, message}                                 last
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { config } from '../lib/config.js';
import { parseBody } from '../lib/http/body.js';
import { AppError } from '../lib/errors.js';
import type { SseStream } from '../lib/http/sse-stream.js';
import { json, sse, type Reply, type RouteContext, type RouteHandler } from '../lib/http/types.js';
import { newId } from '../lib/ids.js';
import { runAgent, type AgentResult, type Emit } from '../lib/model/agent.js';
import { getModelClient, type ModelClient } from '../lib/model/client.js';
import {
  chatSystemInstruction,
  explainSystemInstruction,
  explainUserPrompt,
  historyContents,
  userContent,
} from '../lib/model/prompt.js';
import { getSchemaContext, type SchemaContext } from '../lib/model/schema.js';
import { deriveTitle } from '../lib/model/title.js';
import { createDatabaseTools, MODEL_ROW_LIMIT } from '../lib/model/tools.js';
import { explainQuery as explainPlan } from '../lib/postgres/explain.js';
import * as chats from '../lib/store/chats.js';
import { getConnectionConfig, getConnector } from '../lib/store/connectors.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  parseIdempotencyKey,
  releaseIdempotencyKey,
} from '../lib/store/idempotency.js';
import type { Chat, ConnectionConfig, Connector, Message } from '../lib/types.js';

const MAX_MESSAGE_CHARS = 20_000;
const MAX_SQL_CHARS = 100_000;

const text = (max: number) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
    );

const createChatBody = z.strictObject({ message: text(MAX_MESSAGE_CHARS), title: z.optional(text(200)) });
const postMessageBody = z.strictObject({ message: text(MAX_MESSAGE_CHARS) });
const explainBody = z.strictObject({ sql: text(MAX_SQL_CHARS) });

/** What a completed idempotent chat request remembers; a retry replays the stored messages. */
interface ChatRequestResult {
  chatId: string;
  userMessageId: string;
  assistantMessageId: string;
}

interface Idempotency {
  scope: string;
  key: string;
}

const fingerprint = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64url');

/** Claims the Idempotency-Key if one was sent: a finished twin is replayed, a running one is a 409. */
async function claim(
  ctx: RouteContext,
  scope: string,
  request: unknown,
): Promise<{ idem?: Idempotency; replay?: ChatRequestResult }> {
  const key = parseIdempotencyKey(ctx.headers);
  if (key === undefined) return {};
  const result = await claimIdempotencyKey<ChatRequestResult>(ctx.user.uid, scope, key, {
    fingerprint: fingerprint(request),
  });
  if (result.state === 'done') return { replay: result.result };
  if (result.state === 'pending') {
    throw new AppError(
      'Conflict',
      'A request with this Idempotency-Key is still being processed; retry later',
    );
  }
  return { idem: { scope, key } };
}

async function release(ctx: RouteContext, idem: Idempotency | undefined): Promise<void> {
  if (!idem) return;
  await releaseIdempotencyKey(ctx.user.uid, idem.scope, idem.key).catch((err: unknown) =>
    ctx.log.error('could not release idempotency key', err),
  );
}

async function storeUserMessage(uid: string, chatId: string, content: string): Promise<Message> {
  const message: Message = {
    id: newId(),
    chatId,
    role: 'user',
    content,
    createdAt: new Date().toISOString(),
    status: 'complete',
  };
  await chats.putMessage(uid, message);
  return message;
}

/** The connection of a chat's connector, or undefined when the connector was deleted (the chat goes on without data). */
async function connectionOf(
  uid: string,
  connectorId: string,
): Promise<{ connector: Connector; conn: ConnectionConfig } | undefined> {
  try {
    return {
      connector: await getConnector(uid, connectorId),
      conn: await getConnectionConfig(uid, connectorId),
    };
  } catch (err) {
    if (err instanceof AppError && err.code === 'NotFound') return undefined;
    throw err;
  }
}

/** Absolute time by which generation must stop, leaving the margin to store the reply. */
const deadlineOf = (ctx: RouteContext) => Date.now() + ctx.remainingMs() - config.modelDeadlineMarginMs;

/** Resolves within the deadline or not at all (the caller then goes on without it). */
async function beforeDeadline<T>(work: Promise<T>, deadlineAt: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadlineAt - Date.now()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Conversation {
  ctx: RouteContext;
  client: ModelClient;
  chat: Chat;
  database?: { connector: Connector; conn: ConnectionConfig };
  history: Message[];
  userMessage: Message;
  idem?: Idempotency;
}

/** Streams and stores one assistant reply. Never throws: every failure ends in an `error` event. */
async function converse(stream: SseStream, c: Conversation): Promise<void> {
  const { ctx, chat, userMessage } = c;
  const uid = ctx.user.uid;
  const log = ctx.log.child({ chatId: chat.id });
  // Strictly after the user message in time, so the sort key orders the pair even within one millisecond.
  const assistantMessageId = newId(Math.max(Date.now(), Date.parse(userMessage.createdAt) + 1));
  let seq = 0;
  const emit: Emit = (event, data) => stream.send(event, data, `${assistantMessageId}:${seq++}`);
  const ids = { chatId: chat.id, userMessageId: userMessage.id, assistantMessageId };
  const started = Date.now();
  let firstTokenMs: number | undefined;

  await emit('chat', { ...ids, connectorId: chat.connectorId, title: chat.title });
  const deadlineAt = deadlineOf(ctx);

  let result: AgentResult;
  try {
    let schema: SchemaContext | undefined;
    let schemaNote = '(No database is connected to this chat: its connector was deleted.)';
    if (c.database) {
      const { connector, conn } = c.database;
      const key = `${uid}\u0000${connector.id}\u0000${connector.updatedAt}`;
      schema = await beforeDeadline(
        getSchemaContext(key, conn, { question: userMessage.content, history: c.history }).catch(
          (err: unknown) => {
            schemaNote = `(The schema could not be read: ${err instanceof AppError ? err.message : 'unknown error'}.)`;
            return undefined;
          },
        ),
        deadlineAt,
      );
      if (schema) schemaNote = schema.summary;
    }
    const tools = c.database
      ? createDatabaseTools({
          conn: c.database.conn,
          ...(schema ? { describeTable: schema.describe, searchSchema: schema.search } : {}),
        })
      : undefined;
    result = await runAgent({
      client: c.client,
      systemInstruction: chatSystemInstruction({
        database: c.database?.connector.database ?? '(none)',
        schemaSummary: schemaNote,
        rowLimit: MODEL_ROW_LIMIT,
      }),
      contents: [...historyContents(c.history), userContent(userMessage.content)],
      ...(tools ? { tools } : {}),
      emit: async (event, data) => {
        if (event === 'token' && firstTokenMs === undefined) firstTokenMs = Date.now() - started;
        await emit(event, data);
      },
      deadlineAt,
      maxOutputTokens: config.modelMaxOutputTokens,
      maxChars: config.modelMaxReplyChars,
      log,
    });
  } catch (err) {
    // runAgent does not throw; this is a defect elsewhere (e.g. a write that failed). Keep what we know.
    log.error('reply failed', err);
    result = {
      text: '',
      queries: [],
      status: 'incomplete',
      error: { code: 'Internal', message: 'The reply failed' },
      turns: 0,
    };
  }

  const assistant: Message = {
    id: assistantMessageId,
    chatId: chat.id,
    role: 'assistant',
    content: result.text,
    createdAt: new Date().toISOString(),
    status: result.status,
    ...(result.queries.length ? { queries: result.queries } : {}),
    ...(result.error ? { error: result.error } : {}),
  };
  let stored = true;
  try {
    await chats.putMessage(uid, assistant);
    await chats
      .touchChat(uid, chat.id)
      .catch((err: unknown) => log.warn('could not touch chat', { err: String(err) }));
  } catch (err) {
    stored = false;
    log.error('could not store the reply', err);
  }
  log.info('reply finished', {
    status: result.status,
    errorCode: result.error?.code,
    chars: result.text.length,
    queries: result.queries.length,
    turns: result.turns,
    firstTokenMs,
    durationMs: Date.now() - started,
    stored,
    clientGone: stream.clientGone,
  });

  if (c.idem) {
    if (stored) {
      await completeIdempotencyKey(uid, c.idem.scope, c.idem.key, ids).catch((err: unknown) =>
        log.error('could not complete idempotency key', err),
      );
    } else {
      await release(ctx, c.idem);
    }
  }
  if (!stored) {
    await emit('error', { code: 'Internal', message: 'The reply could not be saved' });
    return;
  }
  await emit('stored', { ...ids, status: assistant.status });
  if (result.error) await emit('error', result.error);
  else await emit('done', {});
}

/** A retried request: the stored exchange sent again as events, without calling the model. */
async function replay(ctx: RouteContext, ids: ChatRequestResult): Promise<Reply> {
  const uid = ctx.user.uid;
  const chat = await chats.getChat(uid, ids.chatId);
  const messages = await chats.listMessages(uid, ids.chatId);
  const assistant = messages.find((m) => m.id === ids.assistantMessageId);
  if (!assistant)
    throw new AppError('Conflict', 'The earlier request with this Idempotency-Key left no reply');
  return sse(async (stream) => {
    let seq = 0;
    const emit = (event: string, data: unknown) =>
      stream.send(event, data, `${ids.assistantMessageId}:r${seq++}`);
    await emit('chat', { ...ids, connectorId: chat.connectorId, title: chat.title, replayed: true });
    if (assistant.content) await emit('token', { text: assistant.content });
    for (const q of assistant.queries ?? []) {
      await emit('query', { sql: q.sql });
      if (q.error) await emit('query_error', { sql: q.sql, ...q.error });
      else {
        await emit('rows', {
          columns: (q.columns ?? []).map((name) => ({ name })),
          rows: q.preview ?? [],
          rowCount: q.rowCount ?? 0,
          truncated: q.truncated ?? false,
          preview: true,
        });
      }
    }
    await emit('stored', { ...ids, status: assistant.status });
    if (assistant.status === 'incomplete') {
      await emit('error', assistant.error ?? { code: 'LlmError', message: 'The reply was interrupted' });
    } else await emit('done', {});
  });
}

export const createChat: RouteHandler = async (ctx) => {
  const body = parseBody(ctx, createChatBody);
  const uid = ctx.user.uid;
  const connectorId = ctx.params.id ?? '';
  const client = await getModelClient(); // 503 before anything is stored
  const connector = await getConnector(uid, connectorId);
  const { idem, replay: earlier } = await claim(ctx, 'chats.create', { connectorId, ...body });
  if (earlier) return replay(ctx, earlier);
  let chat: Chat | undefined;
  try {
    const conn = await getConnectionConfig(uid, connectorId);
    chat = await chats.createChat(uid, { connectorId, title: body.title ?? deriveTitle(body.message) });
    const userMessage = await storeUserMessage(uid, chat.id, body.message);
    ctx.log.info('chat created', { chatId: chat.id, connectorId });
    const conversation: Conversation = {
      ctx,
      client,
      chat,
      database: { connector, conn },
      history: [],
      userMessage,
      ...(idem ? { idem } : {}),
    };
    return sse((stream) => converse(stream, conversation));
  } catch (err) {
    // A chat without its first message would be half-written data: take it back.
    if (chat) {
      await chats
        .deleteChat(uid, chat.id)
        .catch((e: unknown) => ctx.log.error('could not remove a half-created chat', e));
    }
    await release(ctx, idem);
    throw err;
  }
};

export const postMessage: RouteHandler = async (ctx) => {
  const body = parseBody(ctx, postMessageBody);
  const uid = ctx.user.uid;
  const chatId = ctx.params.chat_id ?? '';
  const client = await getModelClient();
  const chat = await chats.getChat(uid, chatId); // NotFound for other users' chats too
  const { idem, replay: earlier } = await claim(ctx, 'chats.message', { chatId, ...body });
  if (earlier) return replay(ctx, earlier);
  try {
    const database = await connectionOf(uid, chat.connectorId);
    const history = await chats.listMessages(uid, chatId);
    const userMessage = await storeUserMessage(uid, chatId, body.message);
    const conversation: Conversation = {
      ctx,
      client,
      chat,
      ...(database ? { database } : {}),
      history,
      userMessage,
      ...(idem ? { idem } : {}),
    };
    return sse((stream) => converse(stream, conversation));
  } catch (err) {
    await release(ctx, idem);
    throw err;
  }
};

/** SSE when the client asks for it (`Accept: text/event-stream` or `?stream=true`), JSON otherwise. */
const wantsStream = (ctx: RouteContext) =>
  (ctx.headers.accept ?? '').includes('text/event-stream') ||
  ctx.query.stream === 'true' ||
  ctx.query.stream === '1';

export const explainQuery: RouteHandler = async (ctx) => {
  const { sql } = parseBody(ctx, explainBody);
  const uid = ctx.user.uid;
  const connectorId = ctx.params.id ?? '';
  const client = await getModelClient();
  const connector = await getConnector(uid, connectorId);
  const conn = await getConnectionConfig(uid, connectorId);
  const plan = await explainPlan(conn, sql); // SqlError → 400 before any stream
  const deadlineAt = deadlineOf(ctx);

  const explain = async (emit: Emit): Promise<AgentResult> => {
    const key = `${uid}\u0000${connector.id}\u0000${connector.updatedAt}`;
    const schema = await beforeDeadline(
      getSchemaContext(key, conn).catch(() => undefined),
      deadlineAt,
    );
    return runAgent({
      client,
      systemInstruction: explainSystemInstruction({
        database: connector.database,
        schemaSummary: schema?.summary ?? '(The schema could not be read.)',
      }),
      contents: [userContent(explainUserPrompt(sql, plan))],
      emit,
      deadlineAt,
      maxOutputTokens: config.modelMaxOutputTokens,
      maxChars: config.modelMaxReplyChars,
      log: ctx.log,
    });
  };

  if (!wantsStream(ctx)) {
    const result = await explain(async () => undefined);
    if (result.status !== 'complete') {
      const code = result.error?.code === 'Timeout' ? 'Timeout' : 'LlmError';
      throw new AppError(code, result.error?.message ?? 'The model failed');
    }
    return json(200, { explanation: result.text, plan });
  }
  return sse(async (stream) => {
    let seq = 0;
    const emit: Emit = (event, data) => stream.send(event, data, `explain:${seq++}`);
    await emit('plan', { plan });
    const result = await explain(emit);
    if (result.error) await emit('error', result.error);
    else await emit('done', {});
  });
};
