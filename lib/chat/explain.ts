/**
 * Explaining a query: the planner's plan (EXPLAIN, never ANALYZE) and the model's explanation of it, as
 * one JSON answer or as a stream (`plan`, `token`…, `done`). A JSON answer must come back before CloudFront
 * gives up on the origin (ORIGIN_READ_TIMEOUT_MS): past that the model is stopped and the client is told to
 * ask for the streaming form, instead of a 504 while the function keeps running and billing.
 */
import { config } from '../config.js';
import { AppError } from '../errors.js';
import type { SseStream } from '../http/sse-stream.js';
import { recordTokens } from '../limits/tokens.js';
import type { Logger } from '../log.js';
import { runAgent, type AgentResult, type Emit } from '../model/agent.js';
import type { ModelClient } from '../model/client.js';
import { explainSystemInstruction, explainUserPrompt, userContent } from '../model/prompt.js';
import { getSchemaContext } from '../model/schema.js';
import type { ConnectorAccess } from '../store/connectors.js';
import { beforeDeadline, schemaRef } from './schema-context.js';

export interface ExplainInput {
  uid: string;
  access: ConnectorAccess;
  client: ModelClient;
  sql: string;
  plan: unknown;
  log: Logger;
  /** Epoch ms when the model must have stopped. */
  deadlineAt: number;
  stop: AbortSignal;
}

async function explain(input: ExplainInput, emit: Emit): Promise<AgentResult> {
  const { connector, conn } = input.access;
  const schema = await beforeDeadline(
    getSchemaContext(schemaRef(input.uid, connector), conn).catch(() => undefined),
    input.deadlineAt,
  );
  return runAgent({
    client: input.client,
    systemInstruction: explainSystemInstruction({
      database: connector.database,
      schemaSummary: schema?.summary ?? '(The schema could not be read.)',
    }),
    contents: [userContent(explainUserPrompt(input.sql, input.plan))],
    emit,
    deadlineAt: input.deadlineAt,
    stop: input.stop,
    maxOutputTokens: config.modelMaxOutputTokens,
    maxChars: config.modelMaxReplyChars,
    log: input.log,
    onTokens: (tokens) => recordTokens(input.uid, tokens),
  });
}

/** The JSON form, stopped before the origin read timeout. */
export async function explainToJson(input: ExplainInput): Promise<{ explanation: string; plan: unknown }> {
  const budgetMs = config.originReadTimeoutMs;
  const cutAt = Date.now() + budgetMs;
  const result = await explain(
    { ...input, deadlineAt: Math.min(input.deadlineAt, cutAt) },
    async () => undefined,
  );
  if (result.status !== 'complete') {
    if (result.error?.code === 'Timeout' && Date.now() >= cutAt - 50) {
      throw new AppError(
        'Timeout',
        `The explanation did not finish within ${Math.round(budgetMs / 1000)} s; ask for the streaming form (Accept: text/event-stream or ?stream=true)`,
        { limitMs: budgetMs },
      );
    }
    const code =
      result.error?.code === 'Timeout' || result.error?.code === 'Shutdown' ? result.error.code : 'LlmError';
    throw new AppError(code, result.error?.message ?? 'The model failed');
  }
  return { explanation: result.text, plan: input.plan };
}

/** The streaming form: `plan`, then the explanation's tokens, then `done` or `error`. */
export async function explainToStream(stream: SseStream, input: ExplainInput): Promise<void> {
  let seq = 0;
  const emit: Emit = (event, data) => stream.send(event, data, `explain:${seq++}`);
  await emit('plan', { plan: input.plan });
  const result = await explain(input, emit);
  if (result.error) await emit('error', result.error);
  else await emit('done', {});
}
