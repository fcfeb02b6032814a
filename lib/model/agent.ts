/**
 * The tool loop behind one assistant reply: stream a turn, run the tools it asks for, send the model its own
 * content back unchanged followed by the tool results, and repeat until it answers in text. Bounded by a
 * deadline (the function's remaining time minus a margin), a number of tool calls and a reply size.
 * Never throws: a failure ends the loop with what exists, so the caller can store it as incomplete.
 */
import type { Content, FunctionCall, FunctionDeclaration, Part } from '@google/genai';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ModelClient } from './client.js';
import { streamTurn } from './stream.js';

/** Sends one SSE event (the caller numbers and writes it; a gone client drops it quietly). */
export type Emit = (event: string, data: unknown) => Promise<void>;

export interface ToolOutcome {
  /** What the model receives as the function response (what the client sees goes out through `emit`). */
  response: Record<string, unknown>;
}

export interface ToolExecutor {
  declarations: FunctionDeclaration[];
  /** Runs one call. Failures the model can correct (bad SQL) are returned as `{error}` in the response. */
  run(call: FunctionCall, ctx: { signal: AbortSignal; emit: Emit }): Promise<ToolOutcome>;
}

export interface AgentOptions {
  client: ModelClient;
  systemInstruction?: string;
  /** History followed by the new user message. Not modified. */
  contents: Content[];
  tools?: ToolExecutor;
  emit: Emit;
  /** Epoch milliseconds when generation must have stopped. */
  deadlineAt: number;
  /** Stops the reply early; its reason (an AppError, e.g. Shutdown) becomes the reply's error. */
  stop?: AbortSignal;
  maxToolCalls?: number;
  maxOutputTokens?: number;
  maxChars?: number;
  log?: Logger;
}

export interface AgentResult {
  text: string;
  status: 'complete' | 'incomplete';
  error?: { code: string; message: string };
  /** Model calls made (turns, retries excluded). */
  turns: number;
  toolCalls: number;
}

export const DEFAULT_MAX_TOOL_CALLS = 5;

const LIMIT_NOTE = 'Tool call limit reached: answer now with what you have, without calling tools.';

export async function runAgent(opts: AgentOptions): Promise<AgentResult> {
  const maxToolCalls = opts.maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS;
  const contents = [...opts.contents];
  let text = '';
  let toolCalls = 0;
  let turns = 0;

  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new AppError('Timeout', 'The reply ran out of time and was stopped')),
    Math.max(0, opts.deadlineAt - Date.now()),
  );
  const signal = opts.stop ? AbortSignal.any([deadline.signal, opts.stop]) : deadline.signal;
  const stopped = (): AppError =>
    signal.reason instanceof AppError ? signal.reason : new AppError('Timeout', 'The reply was stopped');

  const end = (status: AgentResult['status'], error?: AppError): AgentResult => ({
    text,
    status,
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
    turns,
    toolCalls,
  });

  try {
    // A model that keeps calling tools after it was told not to must still end.
    while (turns < maxToolCalls + 2) {
      if (signal.aborted) return end('incomplete', stopped());
      const toolsAllowed = opts.tools !== undefined && toolCalls < maxToolCalls;
      let separated = text.length === 0 || /\s$/.test(text);
      turns++;
      const turn = await streamTurn(
        opts.client,
        {
          contents,
          systemInstruction: opts.systemInstruction,
          functionDeclarations: opts.tools?.declarations,
          toolMode: toolsAllowed ? 'AUTO' : 'NONE',
          maxOutputTokens: opts.maxOutputTokens,
        },
        {
          signal,
          maxChars: opts.maxChars === undefined ? undefined : Math.max(0, opts.maxChars - text.length),
          log: opts.log,
          onText: async (piece) => {
            // Text from a turn after a tool call starts a new paragraph of the same reply.
            if (!separated) {
              separated = true;
              text += '\n\n';
              await opts.emit('token', { text: '\n\n' });
            }
            text += piece;
            await opts.emit('token', { text: piece });
          },
        },
      );
      if (turn.error) return end('incomplete', turn.error);
      if (turn.truncated) {
        return end('incomplete', new AppError('LlmError', 'The reply reached its length limit and was cut'));
      }
      if (turn.functionCalls.length === 0 || !opts.tools) {
        if (
          turn.finishReason &&
          turn.finishReason !== 'STOP' &&
          turn.finishReason !== 'FINISH_REASON_UNSPECIFIED'
        ) {
          const reason = turn.finishReason;
          const message =
            reason === 'MAX_TOKENS'
              ? 'The reply reached the output token limit and was cut'
              : `The model stopped the reply early (${reason})`;
          return end('incomplete', new AppError('LlmError', message, { finishReason: reason }));
        }
        if (text.trim() === '' && toolCalls === 0) {
          return end('incomplete', new AppError('LlmError', 'The model returned an empty reply'));
        }
        return end('complete');
      }

      // The model's content goes back unchanged (it may carry thought signatures), then the results.
      contents.push(turn.content);
      const responses: Part[] = [];
      for (const call of turn.functionCalls) {
        let response: Record<string, unknown>;
        if (toolCalls >= maxToolCalls) {
          response = { error: LIMIT_NOTE };
        } else {
          toolCalls++;
          try {
            response = (await opts.tools.run(call, { signal, emit: opts.emit })).response;
          } catch (err) {
            opts.log?.error('tool failed', err, { tool: call.name });
            response = { error: err instanceof AppError ? err.message : 'The tool failed' };
          }
        }
        if (signal.aborted) return end('incomplete', stopped());
        if (toolCalls >= maxToolCalls && !('error' in response)) response = { ...response, note: LIMIT_NOTE };
        responses.push({
          functionResponse: { ...(call.id ? { id: call.id } : {}), name: call.name ?? 'unknown', response },
        });
      }
      contents.push({ role: 'user', parts: responses });
    }
    return end('incomplete', new AppError('LlmError', 'The model kept calling tools without answering'));
  } finally {
    clearTimeout(timer);
  }
}
