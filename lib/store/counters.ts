/**
 * Counters of the limits: one item per counter, `n` its value.
 *   PK=USER#<uid>  SK=LIMIT#COUNT#<name>#<window>  n, expiresAt (TTL: the item goes once its window is over)
 * Counting towards a line is one conditional UpdateItem (`n < max`), adding spent tokens one plain ADD.
 */
import { BatchGetCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { documentClient, isConditionFailed } from './client.js';
import { userPk } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

const table = () => config.tableName;

/** Adds one unless the counter reached `max`; false when refused. */
export async function countWithin(
  uid: string,
  sk: string,
  opts: { max: number; expiresAtS: number },
): Promise<boolean> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: userPk(uid), SK: sk },
        UpdateExpression: 'ADD n :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(n) OR n < :max',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': 1, ':max': opts.max, ':ttl': opts.expiresAtS },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** Adds `amount` (no line: what was spent is counted whatever it comes to). */
export async function addTo(uid: string, sk: string, amount: number, expiresAtS: number): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: table(),
      Key: { PK: userPk(uid), SK: sk },
      UpdateExpression: 'ADD n :amount SET #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':amount': amount, ':ttl': expiresAtS },
    }),
  );
}

export async function readCounter(uid: string, sk: string): Promise<number> {
  const out = await documentClient().send(
    new GetCommand({ TableName: table(), Key: { PK: userPk(uid), SK: sk }, ConsistentRead: true }),
  );
  return typeof out.Item?.n === 'number' ? out.Item.n : 0;
}

/** Several limit items of one user in one call (GET /usage), by sort key; missing items are left out. */
export async function readLimitItems(
  uid: string,
  sks: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const pk = userPk(uid);
  const found = new Map<string, Record<string, unknown>>();
  let keys: Record<string, unknown>[] = sks.map((SK) => ({ PK: pk, SK }));
  for (let attempt = 0; keys.length > 0; attempt++) {
    if (attempt >= 5) throw new Error('DynamoDB kept leaving limit reads unprocessed');
    if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
    const out = await documentClient().send(
      new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ConsistentRead: true } } }),
    );
    for (const item of out.Responses?.[table()] ?? []) found.set(String(item.SK), item);
    keys = out.UnprocessedKeys?.[table()]?.Keys ?? [];
  }
  return found;
}
