/**
 * The reply loop: announce the reply, give the model the schema, the history and its tools, stream what it
 * writes through the recorder (which checkpoints it), then store the final state and end with `stored`
 * and `done` or `error`. Never throws: every failure ends in an `error` event after what exists of the
 * reply has been stored.
 */
import { config } from '../config.js';
import { AppError, isAppError } from '../errors.js';
import type { SseStream } from '../http/sse-stream.js';
import { withSqlSlot } from '../limits/sql.js';
import { recordTokens } from '../limits/tokens.js';
import { runAgent, type AgentResult } from '../model/agent.js';
import { chatSystemInstruction, historyContents, userContent } from '../model/prompt.js';
import { getSchemaContext, type SchemaContext } from '../model/schema.js';
import { createDatabaseTools, MODEL_ROW_LIMIT } from '../model/tools.js';
import * as chats from '../store/chats.js';
import { checkpointMessage } from '../store/messages.js';
import { formatEventId } from './event-id.js';
import { ReplyRecorder } from './recorder.js';
import { newReplyState } from './reply-state.js';
import { chatEventData, idsOf, type ReplyPlan } from './start.js';
import { beforeDeadline, schemaRef } from './schema-context.js';

export async function streamReply(stream: SseStream, plan: ReplyPlan): Promise<void> {
  const { uid, chat, log } = plan;
  const messageId = plan.assistantMessageId;
  const started = Date.now();
  let firstTokenMs: number | undefined;
  const recorder = new ReplyRecorder({
    stream,
    messageId,
    state: newReplyState(),
    write: (cp) => checkpointMessage(uid, chat.id, messageId, cp),
    hardLeaseUntil: plan.hardLeaseUntil,
    log,
  });
  await stream.send(
    'chat',
    chatEventData(chat, plan.userMessage.id, messageId),
    formatEventId(messageId, { seq: 0, chars: 0 }),
  );

  let result: AgentResult;
  try {
    result = await generate(plan, async (event, data) => {
      if (event === 'token' && firstTokenMs === undefined) firstTokenMs = Date.now() - started;
      await recorder.emit(event, data);
    });
  } catch (err) {
    // runAgent does not throw; this is a defect elsewhere (e.g. a write that failed). Keep what exists.
    log.error('reply failed', err);
    result = {
      text: '',
      status: 'incomplete',
      error: { code: 'Internal', message: 'The reply failed' },
      turns: 0,
      toolCalls: 0,
      tokens: 0,
    };
  }

  let stored = false;
  try {
    stored = await recorder.finish({
      status: result.status,
      ...(result.error ? { error: result.error } : {}),
    });
    await chats
      .touchChat(uid, chat.id)
      .catch((err: unknown) => log.warn('could not touch chat', { err: String(err) }));
  } catch (err) {
    log.error('could not store the reply', err);
  }
  log.info('reply finished', {
    status: result.status,
    errorCode: result.error?.code,
    chars: recorder.state.content.length,
    queries: recorder.state.queries.length,
    turns: result.turns,
    tokens: result.tokens,
    firstTokenMs,
    durationMs: Date.now() - started,
    stored,
    writes: recorder.writes,
    clientGone: stream.clientGone,
  });

  if (!stored) {
    await recorder.sendTrailer('error', { code: 'Internal', message: 'The reply could not be saved' }, 1);
    return;
  }
  await recorder.sendTrailer('stored', { ...idsOf(plan), status: result.status }, 1);
  if (result.error) await recorder.sendTrailer('error', result.error, 2);
  else await recorder.sendTrailer('done', {}, 2);
}

/** The schema context, then the agent with the database tools. */
async function generate(
  plan: ReplyPlan,
  emit: (event: string, data: unknown) => Promise<void>,
): Promise<AgentResult> {
  let schema: SchemaContext | undefined;
  let schemaNote = '(No database is connected to this chat: its connector was deleted.)';
  // A role that can act outside read-only SQL never runs the model's SQL (docs/security.md): the model is
  // given no tools and told why, so it can tell the user what to change.
  let privileged = false;
  if (plan.database) {
    const { connector, conn } = plan.database;
    schema = await beforeDeadline(
      getSchemaContext(schemaRef(plan.uid, connector), conn, {
        question: plan.userMessage.content,
        history: plan.history,
      }).catch((err: unknown) => {
        privileged = isAppError(err, 'PrivilegedRole');
        schemaNote = privileged
          ? `(Semaia does not run SQL for you on this connection: ${(err as AppError).message}. Tell the user to connect with a read-only role, as Semaia's documentation shows, and answer without data.)`
          : `(The schema could not be read: ${err instanceof AppError ? err.message : 'unknown error'}.)`;
        return undefined;
      }),
      plan.deadlineAt,
    );
    if (schema) schemaNote = schema.summary;
  }
  const tools =
    plan.database && !privileged
      ? createDatabaseTools({
          conn: plan.database.conn,
          ...(schema ? { describeTable: schema.describe, searchSchema: schema.search } : {}),
          withSlot: sqlSlotFor(plan, plan.database.connector.id),
        })
      : undefined;
  return runAgent({
    client: plan.client,
    systemInstruction: chatSystemInstruction({
      database: plan.database?.connector.database ?? '(none)',
      schemaSummary: schemaNote,
      rowLimit: MODEL_ROW_LIMIT,
    }),
    contents: [...historyContents(plan.history), userContent(plan.userMessage.content)],
    ...(tools ? { tools } : {}),
    emit,
    deadlineAt: plan.deadlineAt,
    stop: plan.stop,
    maxOutputTokens: config.modelMaxOutputTokens,
    maxChars: config.modelMaxReplyChars,
    log: plan.log,
    onTokens: (tokens) => recordTokens(plan.uid, tokens),
  });
}

/** The model's queries run in the connector's SQL slots like the user's own (refused: a `query_error`). */
const sqlSlotFor =
  (plan: ReplyPlan, connectorId: string) =>
  <T>(work: () => Promise<T>): Promise<T> =>
    withSqlSlot(
      {
        uid: plan.uid,
        connectorId,
        statementTimeoutMs: config.statementTimeoutMs,
        remainingMs: plan.deadlineAt - Date.now(),
        log: plan.log,
      },
      work,
    );
