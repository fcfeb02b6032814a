/**
 * One streamed model call ("turn"): forwards visible text as it arrives, collects the model's content
 * unchanged (function calls, thought signatures) for the next turn, retries a 429/5xx only while nothing of
 * this call has arrived yet (so no text is ever sent twice), and never throws: a failure comes back with the
 * partial result so the caller can store it.
 */
import type {
  Content,
  FunctionCall,
  FunctionCallingConfigMode,
  FunctionDeclaration,
  GenerateContentResponse,
  Part,
} from '@google/genai';
import { config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ModelClient } from './client.js';
import { tokensSpent, type UsageMetadata } from './usage.js';

export interface TurnRequest {
  contents: Content[];
  systemInstruction?: string;
  functionDeclarations?: FunctionDeclaration[];
  /** `NONE` keeps the tools declared (the history refers to them) but forbids new calls. */
  toolMode?: 'AUTO' | 'NONE';
  maxOutputTokens?: number;
  temperature?: number;
}

export interface TurnOptions {
  /** Aborts the call (deadline). Its `reason` becomes the error when it is an AppError. */
  signal: AbortSignal;
  /** Receives each piece of visible text at once, in order. */
  onText: (text: string) => Promise<void> | void;
  /** Stop after this many characters of text (the call is aborted, `truncated` is set). */
  maxChars?: number;
  /** Tries in all for a retryable failure before the first chunk (default 3). */
  attempts?: number;
  log?: Logger;
}

export interface TurnResult {
  /** The model's content as received (adjacent plain text parts merged), to send back after tool calls. */
  content: Content;
  /** Visible text (thought parts excluded). */
  text: string;
  functionCalls: FunctionCall[];
  finishReason?: string;
  /** The character cap was reached: `text` is cut there. */
  truncated: boolean;
  /** Set when the call failed; everything above is what arrived before. */
  error?: AppError;
  /** Tokens the call spent (usage.ts): Gemini's own count, or an estimate when the stream ended before it. */
  tokens: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
/** Longest Retry-After (seconds) worth waiting for inside a request; longer ones fail at once. */
const MAX_RETRY_AFTER_S = 5;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The provider's own message, when its JSON error body can be read (it never holds our key). */
function providerMessage(err: unknown): string | undefined {
  const raw = (err as { message?: unknown } | null)?.message;
  if (typeof raw !== 'string' || !raw) return undefined;
  const start = raw.indexOf('{');
  if (start >= 0) {
    try {
      const body = JSON.parse(raw.slice(start)) as { error?: { message?: unknown } };
      if (typeof body.error?.message === 'string') return body.error.message.slice(0, 300);
    } catch {
      // not JSON: fall through
    }
  }
  return undefined;
}

/** Maps anything the SDK throws to the API's taxonomy. */
export function toModelError(err: unknown, signal?: AbortSignal): AppError {
  if (signal?.aborted && signal.reason instanceof AppError) return signal.reason;
  if (err instanceof AppError) return err;
  const status = statusOf(err);
  if (status !== undefined) {
    const detail = providerMessage(err);
    return new AppError(
      'LlmError',
      `The model failed (HTTP ${status})${detail ? `: ${detail}` : ''}`,
      { status },
      { cause: err },
    );
  }
  if (isAbort(err)) return new AppError('Timeout', 'The model call was stopped', undefined, { cause: err });
  return new AppError('LlmError', 'The model stream broke before the reply was complete', undefined, {
    cause: err,
  });
}

/** undici's connection failures: `fetch failed` / `terminated` with a socket or system error as the cause. */
function isNetworkError(err: unknown): boolean {
  // By name, not instanceof: fetch's errors may come from another realm (jest's sandbox).
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  if (e?.name !== 'TypeError') return false;
  const code = typeof e.cause?.code === 'string' ? e.cause.code : '';
  return e.message === 'fetch failed' || e.message === 'terminated' || /^(E[A-Z]+|UND_ERR)/.test(code);
}

function retryable(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return RETRYABLE.has(status);
  // A connection refused or reset before any chunk is as good as a 503.
  return !isAbort(err) && isNetworkError(err);
}

/** Plain text parts (nothing but `text`) can be merged without changing what the model said. */
const isPlainText = (p: Part) => typeof p.text === 'string' && Object.keys(p).every((k) => k === 'text');

export async function streamTurn(
  client: ModelClient,
  req: TurnRequest,
  opts: TurnOptions,
): Promise<TurnResult> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  const baseMs = config.modelRetryBaseMs;
  const parts: Part[] = [];
  const functionCalls: FunctionCall[] = [];
  let text = '';
  let finishReason: string | undefined;
  let truncated = false;
  let usage: UsageMetadata | undefined;
  let answered = false;
  const result = (error?: AppError): TurnResult => ({
    content: { role: 'model', parts },
    text,
    functionCalls,
    finishReason,
    truncated,
    ...(error ? { error } : {}),
    tokens: tokensSpent(usage, answered ? { request: req, output: parts } : undefined),
  });

  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) return result(toModelError(opts.signal.reason, opts.signal));
    // Our own controller too: cutting a reply at the character cap must close the connection.
    const local = new AbortController();
    const signal = AbortSignal.any([opts.signal, local.signal]);
    let retryAfterS: number | undefined;
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const header = res.headers.get('retry-after');
      retryAfterS = header && /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) : undefined;
      return res;
    };
    let received = false;
    try {
      const stream = await client.ai.models.generateContentStream({
        model: client.model,
        contents: req.contents,
        config: {
          abortSignal: signal,
          httpOptions: { fetch: recordingFetch },
          ...(req.systemInstruction ? { systemInstruction: req.systemInstruction } : {}),
          ...(req.maxOutputTokens ? { maxOutputTokens: req.maxOutputTokens } : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          ...(req.functionDeclarations?.length
            ? {
                tools: [{ functionDeclarations: req.functionDeclarations }],
                toolConfig: {
                  functionCallingConfig: { mode: (req.toolMode ?? 'AUTO') as FunctionCallingConfigMode },
                },
              }
            : {}),
        },
      });
      for await (const chunk of stream as AsyncGenerator<GenerateContentResponse>) {
        answered = true;
        if (chunk.usageMetadata) usage = chunk.usageMetadata; // cumulative: the last one counts
        const candidate = chunk.candidates?.[0];
        if (candidate?.finishReason) finishReason = String(candidate.finishReason);
        if (!candidate && chunk.promptFeedback?.blockReason)
          finishReason = String(chunk.promptFeedback.blockReason);
        for (const part of candidate?.content?.parts ?? []) {
          received = true;
          if (part.functionCall) functionCalls.push(part.functionCall);
          let piece = typeof part.text === 'string' && !part.thought ? part.text : '';
          if (piece && opts.maxChars !== undefined && text.length + piece.length > opts.maxChars) {
            piece = piece.slice(0, Math.max(0, opts.maxChars - text.length));
            truncated = true;
          }
          const kept: Part =
            piece !== part.text && typeof part.text === 'string' && !part.thought
              ? { ...part, text: piece }
              : part;
          const prev = parts[parts.length - 1];
          if (prev && isPlainText(prev) && isPlainText(kept)) prev.text += kept.text!;
          else parts.push(kept);
          if (piece) {
            text += piece;
            await opts.onText(piece);
          }
          if (truncated) break;
        }
        if (truncated) {
          local.abort();
          break;
        }
      }
      return result();
    } catch (err) {
      const error = toModelError(err, opts.signal);
      if (received || attempt >= attempts || opts.signal.aborted || !retryable(err)) {
        opts.log?.warn('model call failed', { attempt, status: statusOf(err), code: error.code, received });
        return result(error);
      }
      if (retryAfterS !== undefined && retryAfterS > MAX_RETRY_AFTER_S) return result(error);
      const backoff = baseMs * 4 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      const delay = retryAfterS !== undefined ? Math.max(retryAfterS * 1000, backoff) : backoff;
      opts.log?.info('model call retried', { attempt, status: statusOf(err), delayMs: Math.round(delay) });
      await sleep(delay, opts.signal);
    } finally {
      local.abort(); // releases the connection if the loop ended early; a no-op once the body is read
    }
  }
}
