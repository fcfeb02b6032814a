/**
 * What the Function URL front end makes of an invocation, from the two sides the lane compares: the bytes
 * the real runtime posted to the Runtime API stand-in, and the hooks of the local stand-in
 * (tests/local/stand-in-outcome.ts). Both go through the same prelude decoder (lib/local/front-end.ts).
 */
import { PreludeDecoder, type ResponseHead } from '../../../lib/local/front-end.js';
import type { Outcome } from '../../local/streaming-rules.js';
import type { Invocation, InvocationResult } from './runtime-api.js';

export const ERROR_TYPE_TRAILER = 'lambda-runtime-function-error-type';
export const ERROR_BODY_TRAILER = 'lambda-runtime-function-error-body';

interface RuntimeError {
  errorType: string;
  errorMessage: string;
}

/** The error a runtime reported in the error trailers of a response, or undefined. */
export function trailerError(result: InvocationResult): RuntimeError | undefined {
  if (result.kind !== 'response' || !result.trailers[ERROR_TYPE_TRAILER]) return undefined;
  const body = result.trailers[ERROR_BODY_TRAILER] ?? '';
  return JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as RuntimeError;
}

export function outcomeOfRuntimeApi(result: InvocationResult): Outcome {
  if (result.kind === 'error') {
    const e = JSON.parse(result.body) as RuntimeError;
    return { kind: 'failed', error: `${e.errorType}: ${e.errorMessage}`, headSent: false };
  }
  const decoder = new PreludeDecoder(() => String(result.headers['content-type'] ?? ''));
  let head: ResponseHead | undefined;
  let body = '';
  let decodeError: string | undefined;
  let headSent = false;
  try {
    // The stand-in never hands the decoder an empty chunk (Node's Writable skips them): neither do we.
    if (result.body.length > 0) {
      const out = decoder.push(result.body);
      head = out.head;
      body = out.body?.toString('utf8') ?? '';
    }
    headSent = decoder.headSent;
    head ??= decoder.finish().head;
  } catch (err) {
    decodeError = (err as Error).message;
  }
  const failure = trailerError(result);
  if (failure) {
    return { kind: 'failed', error: `${failure.errorType}: ${failure.errorMessage}`, headSent };
  }
  if (decodeError || !head) return { kind: 'failed', error: decodeError ?? 'no head', headSent: false };
  return { kind: 'response', statusCode: head.statusCode, headers: head.headers, body };
}

/**
 * Waits for the runtime's answer; `hang` when nothing more arrives for `quietMs` (the real runtime has no
 * timeout of its own: the platform would stop it at the deadline).
 */
export async function settleOrHang(invocation: Invocation, quietMs: number): Promise<Outcome> {
  for (;;) {
    const seen = invocation.chunks.length;
    const settled = await Promise.race([
      invocation.result,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), quietMs).unref()),
    ]);
    if (settled) return outcomeOfRuntimeApi(settled);
    if (invocation.chunks.length === seen) return { kind: 'hang' };
  }
}
