/**
 * The SQL limits: requests per user per clock minute (`/query`, `/inspect`, `/explain`), and statements
 * running at once on one connector (those and the model's `run_sql`), which keeps one user from filling
 * their own database's connection slots.
 */
import { config } from '../config.js';
import type { RouteContext } from '../http/types.js';
import type { Logger } from '../log.js';
import { countWithin } from '../store/counters.js';
import { sqlLeasePoolSk, windowCounterSk } from '../store/keys.js';
import { tooManyRequests } from './errors.js';
import { takeLease, type Lease } from './lease.js';
import { minuteWindow, secondsUntil } from './windows.js';

/**
 * What a session may take beyond its statement timeout: the connect timeout (5 s), the client's backstop
 * (3 s), the cancel request (2 s), and a margin. A slot held by a dead process ends after that.
 */
const SESSION_EXTRA_MS = 20_000;

export async function countSqlRequest(uid: string, now = Date.now()): Promise<void> {
  const max = config.sqlRequestsPerMinute;
  if (max === Infinity) return;
  const minute = minuteWindow(now);
  const counted = await countWithin(uid, windowCounterSk('sql', minute.label), {
    max,
    expiresAtS: Math.floor(minute.endMs / 1000) + 60,
  });
  if (!counted) {
    const wait = secondsUntil(minute.endMs, now);
    throw tooManyRequests(
      'sqlRequestsPerMinute',
      max,
      wait,
      `At most ${max} SQL requests per minute; the next minute starts in ${wait} s`,
    );
  }
}

export interface SqlSession {
  uid: string;
  connectorId: string;
  statementTimeoutMs: number;
  /** Time left to the invocation (or reply) deadline. */
  remainingMs: number;
  log: Logger;
}

/** Counts a route's SQL request (429 past the per-minute line), then describes its session for the connector's slots. */
export async function countedSqlSession(
  ctx: Pick<RouteContext, 'user' | 'remainingMs' | 'log'>,
  connectorId: string,
  statementTimeoutMs: number,
): Promise<SqlSession> {
  await countSqlRequest(ctx.user.uid);
  return { uid: ctx.user.uid, connectorId, statementTimeoutMs, remainingMs: ctx.remainingMs(), log: ctx.log };
}

/** Takes one of the connector's slots for a session (a 429 when all are taken). */
export function takeSqlSlot(s: SqlSession): Promise<Lease> {
  const max = config.sqlConcurrentPerConnector;
  return takeLease({
    uid: s.uid,
    poolSk: sqlLeasePoolSk(s.connectorId),
    limit: 'sqlConcurrentPerConnector',
    max,
    untilMs: Date.now() + Math.min(s.remainingMs, s.statementTimeoutMs + SESSION_EXTRA_MS) + 5_000,
    retryAfterS: 1,
    refused: `At most ${max} SQL statements may run at once on this connector; wait for one to finish`,
    log: s.log,
  });
}

/** Runs `work` (one session on the connector's database) in one of the connector's slots. */
export async function withSqlSlot<T>(s: SqlSession, work: () => Promise<T>): Promise<T> {
  const slot = await takeSqlSlot(s);
  try {
    return await work();
  } finally {
    await slot.release();
  }
}
