/**
 * Lease pools: at most `max` holders at once (open streams of a user, SQL running on one connector), shared
 * by every process that uses the table. One item per pool:
 *   PK=USER#<uid>  SK=LIMIT#LEASES#<pool>  n (leases held), L_<leaseId> = epoch ms the lease ends, expiresAt (TTL)
 * Taking a lease is one conditional UpdateItem (`n < max`) and giving it back is one more; every update
 * moves `n` and the lease attributes together, so `n` always counts them. A holder that dies never gives
 * its lease back: its end time (the invocation's deadline) lets the next taker at the line remove it. No
 * transactions (dynalite has none): only single-item conditional writes.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { newId } from '../ids.js';
import { documentClient, isConditionFailed, itemOnConditionFailure } from './client.js';
import { userPk } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

const table = () => config.tableName;
const LEASE_ATTR = 'L_';
/** Past every lease (a Lambda invocation lasts at most 15 minutes): the item is gone when all are over. */
const ITEM_TTL_S = 2 * 3600;
/** Rounds of "read, remove what expired, take" before giving up under contention. */
const ATTEMPTS = 4;

export type LeaseAttempt =
  | { ok: true; id: string }
  /** At the line: `live` leases hold the pool; the first of them ends at `firstEndMs` at the latest. */
  | { ok: false; live: number; firstEndMs: number };

export interface PoolState {
  /** Leases whose end is still ahead. */
  live: number;
  firstEndMs: number | undefined;
}

/** Live and expired leases of a pool item. */
function leasesOf(item: Record<string, unknown> | undefined, now: number) {
  const live: number[] = [];
  const expired: { name: string; until: number }[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    if (!name.startsWith(LEASE_ATTR) || typeof value !== 'number') continue;
    if (value <= now) expired.push({ name, until: value });
    else live.push(value);
  }
  return { live, expired };
}

export function poolState(item: Record<string, unknown> | undefined, now = Date.now()): PoolState {
  const { live } = leasesOf(item, now);
  return { live: live.length, firstEndMs: live.length ? Math.min(...live) : undefined };
}

/** Takes a lease that ends at `untilMs` unless `max` live leases hold the pool. */
export async function acquireLease(
  uid: string,
  poolSk: string,
  opts: { max: number; untilMs: number; now?: () => number },
): Promise<LeaseAttempt> {
  const now = opts.now ?? Date.now;
  const key = { PK: userPk(uid), SK: poolSk };
  const id = newId();
  const names = { '#lease': LEASE_ATTR + id, '#ttl': TTL_ATTRIBUTE };
  const ttl = Math.floor(now() / 1000) + ITEM_TTL_S;
  let item: Record<string, unknown> | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: table(),
          Key: key,
          UpdateExpression: 'SET #lease = :until, n = if_not_exists(n, :zero) + :one, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(n) OR n < :max',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':until': opts.untilMs,
            ':zero': 0,
            ':one': 1,
            ':max': opts.max,
            ':ttl': ttl,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, id };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      item = await itemOnConditionFailure(err, key);
    }
    if (!item) continue; // the pool emptied in between: take it again
    const { live, expired } = leasesOf(item, now());
    if (live.length >= opts.max) break;
    if (expired.length === 0) continue; // a lease was given back in between
    // Holders that died: remove their leases and take one, as long as nobody changed the pool meanwhile.
    const seen = Number(item.n);
    const dead = Object.fromEntries(expired.map((e, i) => [`#d${i}`, e.name]));
    const deadValues = Object.fromEntries(expired.map((e, i) => [`:d${i}`, e.until]));
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: table(),
          Key: key,
          UpdateExpression: `REMOVE ${Object.keys(dead).join(', ')} SET #lease = :until, n = :next, #ttl = :ttl`,
          ConditionExpression: ['n = :seen', ...expired.map((_, i) => `#d${i} = :d${i}`)].join(' AND '),
          ExpressionAttributeNames: { ...names, ...dead },
          ExpressionAttributeValues: {
            ...deadValues,
            ':until': opts.untilMs,
            ':seen': seen,
            ':next': seen - expired.length + 1,
            ':ttl': ttl,
          },
        }),
      );
      return { ok: true, id };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      item = undefined; // someone else changed the pool: look again
    }
  }
  const state = poolState(item, now());
  return { ok: false, live: state.live, firstEndMs: state.firstEndMs ?? now() };
}

/** Gives a lease back. A lease already removed (it expired and was taken over) is left alone. */
export async function releaseLease(uid: string, poolSk: string, id: string): Promise<void> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: userPk(uid), SK: poolSk },
        UpdateExpression: 'REMOVE #lease SET n = n - :one',
        ConditionExpression: 'attribute_exists(#lease)',
        ExpressionAttributeNames: { '#lease': LEASE_ATTR + id },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}
