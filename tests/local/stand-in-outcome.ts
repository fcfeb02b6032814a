/**
 * Runs a handler under the local stand-in (lib/local/invocation.ts) and reports what the front end makes of
 * it, in the terms of tests/local/streaming-rules.ts. A short function timeout stands for the deadline.
 */
import type { StreamifyHandler } from 'aws-lambda';
import type { ResponseHead } from '../../lib/local/front-end.js';
import { invokeStreaming } from '../../lib/local/invocation.js';
import type { Outcome } from './streaming-rules.js';

export async function outcomeOfStandIn(handler: StreamifyHandler, timeoutMs: number): Promise<Outcome> {
  let head: ResponseHead | undefined;
  let body = '';
  let failure: { reason: string; headSent: boolean } | undefined;
  const invocation = invokeStreaming(
    handler,
    {},
    { timeoutMs },
    {
      onHead: (h) => (head = h),
      onBody: (chunk, done) => {
        body += chunk.toString('utf8');
        done();
      },
      onEnd: () => undefined,
      onFailure: (reason, headSent) => (failure = { reason, headSent }),
    },
  );
  await invocation.done;
  if (failure?.reason.startsWith('Task timed out')) return { kind: 'hang' };
  if (failure) return { kind: 'failed', error: failure.reason, headSent: failure.headSent };
  if (!head) return { kind: 'failed', error: 'no head', headSent: false };
  return { kind: 'response', statusCode: head.statusCode, headers: head.headers, body };
}
