/**
 * How many connectors a user has, as a counter that creates and deletes move:
 *   PK=USER#<uid>  SK=LIMIT#connectors  n, updatedAtMs   (no TTL: it is the user's standing count)
 * Taking a slot is one conditional UpdateItem (`n < max`), so a burst of creates cannot pass the line; the
 * connector is written after it and the slot is given back if that write fails. The counter is made from a
 * real count the first time (users who had connectors before it existed), and a counter left too high by
 * a process that died between the two writes is recounted at the line, once no create can still be in
 * flight (nothing moved it for longer than an invocation can last).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { documentClient, isConditionFailed, itemOnConditionFailure } from './client.js';
import { CONNECTOR_COUNT_SK, CONNECTOR_PREFIX, userPk } from './keys.js';

const table = () => config.tableName;
/** The longest a create can be in flight between its two writes: a Lambda invocation's maximum, and more. */
export const RECOUNT_AFTER_MS = 16 * 60_000;

const key = (uid: string) => ({ PK: userPk(uid), SK: CONNECTOR_COUNT_SK });

/** The user's stored connectors, counted (the sample connector is not stored). */
export async function countConnectors(uid: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(uid), ':prefix': CONNECTOR_PREFIX },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** The counter's value, or a real count when it does not exist yet. */
export async function connectorTotal(uid: string): Promise<number> {
  const out = await documentClient().send(
    new GetCommand({ TableName: table(), Key: key(uid), ConsistentRead: true }),
  );
  return typeof out.Item?.n === 'number' ? out.Item.n : countConnectors(uid);
}

/** Counts one more connector unless the user has `max`; false when refused. */
export async function takeConnectorSlot(uid: string, max: number, now = Date.now): Promise<boolean> {
  for (let attempt = 0; attempt < 4; attempt++) {
    let item: Record<string, unknown> | undefined;
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: table(),
          Key: key(uid),
          UpdateExpression: 'SET n = n + :one, updatedAtMs = :now',
          ConditionExpression: 'attribute_exists(n) AND n < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':now': now() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      item = await itemOnConditionFailure(err, key(uid));
    }
    if (!item) {
      // No counter yet: start it from what is stored.
      const actual = await countConnectors(uid);
      if (actual >= max) return false;
      try {
        await documentClient().send(
          new PutCommand({
            TableName: table(),
            Item: { ...key(uid), n: actual + 1, updatedAtMs: now() },
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        );
        return true;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        continue; // another create started it first
      }
    }
    const seen = Number(item.n);
    const seenAt = Number(item.updatedAtMs);
    if (seen < max) continue; // a slot was given back in between
    if (!(now() - seenAt > RECOUNT_AFTER_MS)) return false;
    const actual = await countConnectors(uid);
    if (actual >= max || actual >= seen) return false;
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: table(),
          Key: key(uid),
          UpdateExpression: 'SET n = :next, updatedAtMs = :now',
          ConditionExpression: 'n = :seen AND updatedAtMs = :seenAt',
          ExpressionAttributeValues: { ':next': actual + 1, ':now': now(), ':seen': seen, ':seenAt': seenAt },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }
  return false;
}

/** Counts one connector less (after a delete, or a create whose write failed). */
export async function giveConnectorSlot(uid: string, now = Date.now): Promise<void> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: key(uid),
        UpdateExpression: 'SET n = n - :one, updatedAtMs = :now',
        ConditionExpression: 'n > :zero',
        ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':now': now() },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}
