/**
 * Idempotency keys for create-style requests (the route wrapper is lib/http/idempotent.ts): the first
 * request with a key runs, a retry with the same key gets the first result back, a duplicate that arrives
 * while the first still runs gets 409 Conflict.
 *   PK=USER#<uid>  SK=IDEMPOTENCY#<scope>#<key>  state pending|done, result, expiresAt (TTL, 24 h)
 * Conditional puts only (dynalite has no transactions). Expired items count as absent because DynamoDB's
 * TTL deletes lazily; a pending claim whose lease ran out (the process died) can be taken over.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { AppError } from '../errors.js';
import { log } from '../log.js';
import { documentClient, isConditionFailed, itemOnConditionFailure } from './client.js';
import { idempotencySk, userPk } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export type ClaimResult<T> = { state: 'new' } | { state: 'done'; result: T } | { state: 'pending' };

const table = () => config.tableName;
const SCOPE_PATTERN = /^[A-Za-z0-9._-]{1,50}$/;

/** The Idempotency-Key header, validated (1..200 printable ASCII characters), or undefined when absent. */
export function parseIdempotencyKey(headers: Record<string, string | undefined>): string | undefined {
  const key = headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (!/^[\x20-\x7e]{1,200}$/.test(key) || key.trim() === '') {
    throw new AppError(
      'IncorrectSignature',
      'Invalid header "Idempotency-Key": must be 1 to 200 printable ASCII characters',
      { field: 'Idempotency-Key' },
    );
  }
  return key;
}

function keyOf(uid: string, scope: string, key: string) {
  if (!SCOPE_PATTERN.test(scope)) throw new Error(`invalid idempotency scope ${scope}`);
  return { PK: userPk(uid), SK: idempotencySk(scope, key) };
}

/**
 * Claims the key. `fingerprint` (e.g. a hash of the request without secrets) makes a reuse of the key for a
 * different request a 409 instead of silently returning the other request's result.
 */
export async function claimIdempotencyKey<T = unknown>(
  uid: string,
  scope: string,
  key: string,
  opts: { fingerprint?: string; leaseMs: number },
): Promise<ClaimResult<T>> {
  const Key = keyOf(uid, scope, key);
  for (let attempt = 0; attempt < 3; attempt++) {
    const nowMs = Date.now();
    let item: Record<string, unknown> | undefined;
    try {
      await documentClient().send(
        new PutCommand({
          TableName: table(),
          Item: {
            ...Key,
            state: 'pending',
            fingerprint: opts.fingerprint,
            leaseUntil: nowMs + opts.leaseMs,
            [TTL_ATTRIBUTE]: Math.floor(nowMs / 1000) + IDEMPOTENCY_TTL_SECONDS,
            createdAt: new Date(nowMs).toISOString(),
          },
          ConditionExpression:
            'attribute_not_exists(PK) OR #ttl < :nowSec OR (#state = :pending AND leaseUntil < :nowMs)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE, '#state': 'state' },
          ExpressionAttributeValues: {
            ':nowSec': Math.floor(nowMs / 1000),
            ':nowMs': nowMs,
            ':pending': 'pending',
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { state: 'new' };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      item = await itemOnConditionFailure(err, Key);
    }
    if (!item) continue; // released between our put and get: try to claim again
    if (
      opts.fingerprint !== undefined &&
      item.fingerprint !== undefined &&
      item.fingerprint !== opts.fingerprint
    ) {
      throw new AppError('Conflict', 'This Idempotency-Key was already used for a different request');
    }
    if (item.state === 'done') return { state: 'done', result: item.result as T };
    return { state: 'pending' };
  }
  return { state: 'pending' };
}

/** Records the result that retries will get. */
export async function completeIdempotencyKey(
  uid: string,
  scope: string,
  key: string,
  result: unknown,
): Promise<void> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: keyOf(uid, scope, key),
        UpdateExpression: 'SET #state = :done, #result = :result REMOVE leaseUntil',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#state': 'state', '#result': 'result' },
        ExpressionAttributeValues: { ':done': 'done', ':result': result },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    log.warn('idempotency key vanished before completion', { scope });
  }
}

/** Gives the key up after a failure, so that a retry runs the request again. */
export async function releaseIdempotencyKey(uid: string, scope: string, key: string): Promise<void> {
  try {
    await documentClient().send(
      new DeleteCommand({
        TableName: table(),
        Key: keyOf(uid, scope, key),
        ConditionExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':pending': 'pending' },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}
