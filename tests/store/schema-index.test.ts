/** The schema index in DynamoDB: compressed, split below the item limit, one build at a time, bounded. */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../lib/config.js';
import { documentClient, queryPages } from '../../lib/store/client.js';
import { schemaIndexSk } from '../../lib/store/keys.js';
import {
  loadSchemaIndex,
  MAX_PARTS,
  PART_BYTES,
  saveSchemaIndex,
  touchSchemaIndex,
} from '../../lib/store/schema-index.js';
import { useDynamo } from '../support/dynamo.js';

useDynamo();

const meta = { version: 'v1', format: 1, fingerprint: 'fp1', searchPath: ['public'], verifiedAt: 1000 };
/** Random hex compresses to about half: `bytes` of it make a document of roughly bytes/2 compressed. */
const doc = (bytes: number) => ({ relations: [{ blob: randomBytes(bytes / 2).toString('hex') }] });

async function itemsOf(uid: string) {
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages({
    TableName: config.tableName,
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': `USER#${uid}` },
  }))
    items.push(...page);
  return items;
}

describe('schema index store', () => {
  it('round-trips a small index in one item under the user partition, with a TTL', async () => {
    const document = { relations: [{ name: 'orders' }] };
    expect(await saveSchemaIndex('u1', 'c1', { ...meta, document })).toMatchObject({
      stored: true,
      parts: 1,
    });
    expect(await loadSchemaIndex('u1', 'c1')).toEqual({ ...meta, document });
    const items = await itemsOf('u1');
    expect(items.map((i) => i.SK)).toEqual(['SCHEMAINDEX#c1#00']);
    expect(items[0]!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
    expect(await loadSchemaIndex('u1', 'other')).toBeUndefined();
    expect(await loadSchemaIndex('u2', 'c1')).toBeUndefined();
  });

  it('splits a large index into parts below the item limit, and drops the parts of a larger earlier build', async () => {
    const big = doc(3 * PART_BYTES * 2); // about 3 parts once compressed
    const saved = await saveSchemaIndex('u3', 'c1', { ...meta, document: big });
    expect(saved.parts).toBeGreaterThanOrEqual(3);
    const items = await itemsOf('u3');
    expect(items).toHaveLength(saved.parts);
    for (const item of items) expect((item.data as Uint8Array).length).toBeLessThanOrEqual(PART_BYTES);
    expect((await loadSchemaIndex('u3', 'c1'))!.document).toEqual(big);

    await saveSchemaIndex('u3', 'c1', { ...meta, version: 'v2', document: { small: true } });
    expect((await itemsOf('u3')).map((i) => i.SK)).toEqual(['SCHEMAINDEX#c1#00']);
    expect((await loadSchemaIndex('u3', 'c1'))!).toMatchObject({ version: 'v2', document: { small: true } });
  });

  it('reads a part of another build as a miss, never as a mixed index', async () => {
    await saveSchemaIndex('u4', 'c1', { ...meta, document: doc(2 * PART_BYTES * 2) });
    const part = await documentClient().send(
      new GetCommand({ TableName: config.tableName, Key: { PK: 'USER#u4', SK: schemaIndexSk('c1', 1) } }),
    );
    await documentClient().send(
      new PutCommand({ TableName: config.tableName, Item: { ...part.Item, build: 'another-build' } }),
    );
    expect(await loadSchemaIndex('u4', 'c1')).toBeUndefined();
  });

  it('does not store an index beyond MAX_PARTS parts', async () => {
    const huge = doc((MAX_PARTS + 1) * PART_BYTES * 2);
    expect(await saveSchemaIndex('u5', 'c1', { ...meta, document: huge })).toMatchObject({ stored: false });
    expect(await itemsOf('u5')).toEqual([]);
  });

  it('stamps verifiedAt only while the stored fingerprint is the one checked', async () => {
    await saveSchemaIndex('u6', 'c1', { ...meta, document: {} });
    await touchSchemaIndex('u6', 'c1', 'fp1', 5000);
    expect((await loadSchemaIndex('u6', 'c1'))!.verifiedAt).toBe(5000);
    await touchSchemaIndex('u6', 'c1', 'stale', 9000);
    expect((await loadSchemaIndex('u6', 'c1'))!.verifiedAt).toBe(5000);
  });
});
