/**
 * Streams a user may have open at once, in two pools: model streams (chat replies and explanations, which
 * call the model) and event streams (`GET …/events` and idempotent retries, which replay or follow a stored
 * reply without calling it). Followers have a pool of their own so that a client reconnecting to its own
 * replies is never refused because those replies are still being written (docs/api.md "Limits").
 */
import { config } from '../config.js';
import type { Logger } from '../log.js';
import { leasePoolSk } from '../store/keys.js';
import { takeLease, type Lease } from './lease.js';

/** Past the invocation's deadline: a stream never outlives its lease, a dead holder's lease ends soon after. */
const STREAM_LEASE_MARGIN_MS = 5_000;
/** A stream usually ends within seconds; the pool's first lease may end sooner still. */
const RETRY_AFTER_S = 5;

export interface StreamHolder {
  user: { uid: string };
  log: Logger;
  remainingMs(): number;
}

export function takeStreamLease(ctx: StreamHolder, kind: 'model' | 'follow'): Promise<Lease> {
  const model = kind === 'model';
  const max = model ? config.streamsPerUser : config.followStreamsPerUser;
  return takeLease({
    uid: ctx.user.uid,
    poolSk: leasePoolSk(model ? 'streams' : 'follow'),
    limit: model ? 'streams' : 'followStreams',
    max,
    untilMs: Date.now() + ctx.remainingMs() + STREAM_LEASE_MARGIN_MS,
    retryAfterS: RETRY_AFTER_S,
    refused: model
      ? `At most ${max} chat or explain streams may run at once; wait for one to finish`
      : `At most ${max} event streams may be open at once; close one first`,
    log: ctx.log,
  });
}
