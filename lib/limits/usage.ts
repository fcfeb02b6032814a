/**
 * GET /usage: where the user stands against each limit, keyed by the same names a 429's `limit` field
 * uses, so a client can show "2 of 3 streams" or "used 81% of today's model budget". `max` is null for a
 * limit that is off. One BatchGetItem (plus a count the first time, for a user with no connector counter).
 */
import { config } from '../config.js';
import { countConnectors } from '../store/connector-count.js';
import { readLimitItems } from '../store/counters.js';
import { CONNECTOR_COUNT_SK, leasePoolSk, windowCounterSk } from '../store/keys.js';
import { poolState } from '../store/leases.js';
import type { LimitName } from './errors.js';
import { dayWindow, minuteWindow } from './windows.js';

export interface LimitUsage {
  /** Null when the limit is off. */
  max: number | null;
  used?: number;
  /** When the counter starts again from zero (counted limits only). */
  resetAt?: string;
}

export type Usage = Record<LimitName, LimitUsage>;

const maxOf = (n: number) => (n === Infinity ? null : n);
const numberIn = (item: Record<string, unknown> | undefined) => (typeof item?.n === 'number' ? item.n : 0);

export async function readUsage(uid: string, now = Date.now()): Promise<Usage> {
  const day = dayWindow(now);
  const minute = minuteWindow(now);
  const keys = {
    streams: leasePoolSk('streams'),
    follow: leasePoolSk('follow'),
    tokens: windowCounterSk('tokens', day.label),
    sql: windowCounterSk('sql', minute.label),
    connectors: CONNECTOR_COUNT_SK,
  };
  const items = await readLimitItems(uid, Object.values(keys));
  const counter = items.get(keys.connectors);
  return {
    streams: { max: maxOf(config.streamsPerUser), used: poolState(items.get(keys.streams), now).live },
    followStreams: {
      max: maxOf(config.followStreamsPerUser),
      used: poolState(items.get(keys.follow), now).live,
    },
    modelTokensPerDay: {
      max: maxOf(config.modelTokensPerDay),
      used: numberIn(items.get(keys.tokens)),
      resetAt: new Date(day.endMs).toISOString(),
    },
    sqlRequestsPerMinute: {
      max: maxOf(config.sqlRequestsPerMinute),
      used: numberIn(items.get(keys.sql)),
      resetAt: new Date(minute.endMs).toISOString(),
    },
    sqlConcurrentPerConnector: { max: maxOf(config.sqlConcurrentPerConnector) },
    connectors: {
      max: maxOf(config.connectorsPerUser),
      used: counter ? numberIn(counter) : await countConnectors(uid),
    },
  };
}
