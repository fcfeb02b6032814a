/**
 * Gemini's HTTP wire format as the scripted server writes it: scripted chunks as GenerateContentResponse JSON
 * (streamed, or merged for the unary call), and Google-style error bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GeminiPart, ScriptChunk, ScriptedTurn } from './types.js';

export function chunkToResponse(chunk: ScriptChunk): Record<string, unknown> {
  if (typeof chunk === 'string') return candidate([{ text: chunk }]);
  if ('error' in chunk) return { error: { status: 'INTERNAL', ...chunk.error } };
  if ('finishReason' in chunk)
    return {
      candidates: [{ content: { role: 'model', parts: [] }, finishReason: chunk.finishReason, index: 0 }],
    };
  if ('parts' in chunk) return candidate(chunk.parts);
  return candidate([chunk as GeminiPart]);
}

export function candidate(parts: GeminiPart[]): Record<string, unknown> {
  return { candidates: [{ content: { role: 'model', parts }, index: 0 }] };
}

/** Gemini's counts, made up like the real ones: about 4 characters a token (unless the turn sets them). */
export function usageOf(
  requestBody: string,
  responses: Record<string, unknown>[],
  set: ScriptedTurn['usage'],
) {
  const prompt = set?.promptTokenCount ?? Math.ceil(requestBody.length / 4);
  const output = set?.candidatesTokenCount ?? Math.max(1, Math.ceil(JSON.stringify(responses).length / 4));
  const thoughts = set?.thoughtsTokenCount ?? 0;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    totalTokenCount: prompt + output + thoughts,
  };
}

/** Adds `finishReason: STOP` and the usage to the last chunk unless the script set a finish reason itself. */
export function withFinish(
  responses: Record<string, unknown>[],
  usageMetadata: ReturnType<typeof usageOf>,
): Record<string, unknown>[] {
  const hasFinish = responses.some((r) => JSON.stringify(r).includes('"finishReason"'));
  const hasError = responses.some((r) => 'error' in r);
  if (hasFinish || hasError) return responses;
  const last = responses[responses.length - 1];
  const usage = { usageMetadata };
  if (!last)
    return [
      {
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }],
        ...usage,
      },
    ];
  const cands = last.candidates as Record<string, unknown>[];
  return [
    ...responses.slice(0, -1),
    { ...last, candidates: [{ ...cands[0], finishReason: 'STOP' }], ...usage },
  ];
}

export function mergeForUnary(responses: Record<string, unknown>[]): Record<string, unknown> {
  const parts: GeminiPart[] = [];
  let finishReason = 'STOP';
  for (const r of responses) {
    const c = (
      r.candidates as { content?: { parts?: GeminiPart[] }; finishReason?: string }[] | undefined
    )?.[0];
    parts.push(...(c?.content?.parts ?? []));
    if (c?.finishReason) finishReason = c.finishReason;
  }
  return { candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }] };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendError(res: ServerResponse, status: number, message: string, retryAfter?: number) {
  const statusText: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    404: 'NOT_FOUND',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { code: status, message, status: statusText[status] ?? 'UNKNOWN' } }));
}
