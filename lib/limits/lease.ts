/**
 * A lease from a pool (lib/store/leases.ts) as the routes hold it: taken before the work starts (a 429 when
 * the pool is full), given back exactly once when the work is over — when it throws, once a JSON reply is
 * made, or when an SSE reply's stream ends, whatever way it ends. A holder that dies without giving it back
 * loses it at `untilMs` (the invocation's deadline plus a margin).
 */
import type { Logger } from '../log.js';
import type { Reply } from '../http/types.js';
import { acquireLease, releaseLease } from '../store/leases.js';
import { tooManyRequests, type LimitName } from './errors.js';
import { secondsUntil } from './windows.js';

export interface Lease {
  /** Gives the lease back (once; later calls do nothing; never throws). */
  release(): Promise<void>;
  /** The reply, with the lease given back when it is over: at once for JSON, after its body for a stream. */
  during(reply: Reply): Promise<Reply>;
}

const held = (release: () => Promise<void>): Lease => {
  let done: Promise<void> | undefined;
  const lease: Lease = {
    release: () => (done ??= release()),
    async during(reply) {
      if (reply.kind === 'json') {
        await lease.release();
        return reply;
      }
      if (reply.kind === 'sse') return { ...reply, run: releasedAfter(reply.run, lease) };
      return { ...reply, run: releasedAfter(reply.run, lease) };
    },
  };
  return lease;
};

/** A reply's body writer, giving the lease back once the body is written, however that ends. */
function releasedAfter<W>(run: (writer: W) => Promise<void>, lease: Lease) {
  return async (writer: W) => {
    try {
      await run(writer);
    } finally {
      await lease.release();
    }
  };
}

/** For limits that are off: no store call at all. */
const NO_LEASE: Lease = held(async () => undefined);

export interface PoolLimit {
  uid: string;
  poolSk: string;
  limit: LimitName;
  max: number;
  untilMs: number;
  /** The longest a refused caller is told to wait (the first lease of the pool may end sooner). */
  retryAfterS: number;
  /** The 429's message. */
  refused: string;
  log: Logger;
}

export async function takeLease(p: PoolLimit): Promise<Lease> {
  if (p.max === Infinity) return NO_LEASE;
  const got = await acquireLease(p.uid, p.poolSk, { max: p.max, untilMs: p.untilMs });
  if (!got.ok) {
    const now = Date.now();
    throw tooManyRequests(
      p.limit,
      p.max,
      Math.min(p.retryAfterS, secondsUntil(got.firstEndMs, now)),
      p.refused,
    );
  }
  return held(() =>
    releaseLease(p.uid, p.poolSk, got.id).catch((err: unknown) =>
      p.log.error('could not give a lease back (it ends by itself)', err, { limit: p.limit }),
    ),
  );
}
