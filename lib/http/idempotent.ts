/**
 * The one idempotency wrapper for POST routes that create something (JSON or SSE): with an
 * `Idempotency-Key` header, the first request runs, a retry gets the first request's outcome again, a
 * reuse of the key for another request body is 409, and a twin that arrives while the first is still
 * before its reply is 409. The claim's lease is the invocation's own remaining time, so a live request
 * never loses it and a dead one frees it when its invocation would have ended anyway.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  parseIdempotencyKey,
  releaseIdempotencyKey,
} from '../store/idempotency.js';
import type { Reply, RouteContext } from './types.js';

/** Past the invocation's end, so the claim outlives every write the request can still make. */
const LEASE_MARGIN_MS = 30_000;

export interface IdempotentWork<T> {
  /** Does the work; `remember` is what a retry needs to answer the same way. Throwing frees the key. */
  run(): Promise<{ remember: T; reply: Reply }>;
  /** The reply a retry gets from what the first request remembered. */
  replay(remembered: T): Promise<Reply>;
}

/** A stable hash of the request (callers leave secrets out): a key reused for another body is refused. */
const fingerprint = (request: unknown): string =>
  createHash('sha256').update(JSON.stringify(request)).digest('base64url');

export async function idempotent<T>(
  ctx: RouteContext,
  scope: string,
  request: unknown,
  work: IdempotentWork<T>,
): Promise<Reply> {
  const key = parseIdempotencyKey(ctx.headers);
  if (key === undefined) return (await work.run()).reply;
  const uid = ctx.user.uid;
  const claim = await claimIdempotencyKey<T>(uid, scope, key, {
    fingerprint: fingerprint(request),
    leaseMs: ctx.remainingMs() + LEASE_MARGIN_MS,
  });
  if (claim.state === 'done') return work.replay(claim.result);
  if (claim.state === 'pending') {
    throw new AppError(
      'Conflict',
      'A request with this Idempotency-Key is still being processed; retry later',
    );
  }
  let outcome: { remember: T; reply: Reply };
  try {
    outcome = await work.run();
  } catch (err) {
    await releaseIdempotencyKey(uid, scope, key).catch((e: unknown) =>
      ctx.log.error('could not release idempotency key', e, { scope }),
    );
    throw err;
  }
  // The work is done: a failure to record it must not turn this success into an error. A retry then
  // waits (409) until the claim's lease passes.
  await completeIdempotencyKey(uid, scope, key, outcome.remember).catch((e: unknown) =>
    ctx.log.error('could not complete idempotency key', e, { scope }),
  );
  return outcome.reply;
}
