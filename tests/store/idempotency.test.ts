import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lib/store/client.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  parseIdempotencyKey,
  releaseIdempotencyKey,
} from '../../lib/store/idempotency.js';
import { useDynamo } from '../support/dynamo.js';

const dynamo = useDynamo();
const LEASE = { leaseMs: 60_000 };

describe('idempotency keys', () => {
  test('new → pending → done, with the stored result', async () => {
    expect(await claimIdempotencyKey('u1', 'test', 'k1', LEASE)).toEqual({ state: 'new' });
    expect(await claimIdempotencyKey('u1', 'test', 'k1', LEASE)).toEqual({ state: 'pending' });
    await completeIdempotencyKey('u1', 'test', 'k1', { status: 201, body: { id: 'x', n: [1, 2] } });
    expect(await claimIdempotencyKey('u1', 'test', 'k1', LEASE)).toEqual({
      state: 'done',
      result: { status: 201, body: { id: 'x', n: [1, 2] } },
    });
    const item = (
      await documentClient().send(
        new GetCommand({ TableName: dynamo.tableName, Key: { PK: 'USER#u1', SK: 'IDEMPOTENCY#test#k1' } }),
      )
    ).Item!;
    const now = Math.floor(Date.now() / 1000);
    expect(item.expiresAt).toBeGreaterThan(now + 23 * 3600);
    expect(item.expiresAt).toBeLessThanOrEqual(now + 24 * 3600 + 1);
  });

  test('keys are per user and per scope', async () => {
    expect(await claimIdempotencyKey('u1', 'test', 'shared', LEASE)).toEqual({ state: 'new' });
    expect(await claimIdempotencyKey('u2', 'test', 'shared', LEASE)).toEqual({ state: 'new' });
    expect(await claimIdempotencyKey('u1', 'other', 'shared', LEASE)).toEqual({ state: 'new' });
  });

  test('release lets a retry run; a done key is not released', async () => {
    await claimIdempotencyKey('u1', 'test', 'k2', LEASE);
    await releaseIdempotencyKey('u1', 'test', 'k2');
    expect(await claimIdempotencyKey('u1', 'test', 'k2', LEASE)).toEqual({ state: 'new' });
    await completeIdempotencyKey('u1', 'test', 'k2', 'result');
    await releaseIdempotencyKey('u1', 'test', 'k2');
    expect(await claimIdempotencyKey('u1', 'test', 'k2', LEASE)).toEqual({ state: 'done', result: 'result' });
  });

  test('an expired key or a lapsed lease can be claimed again', async () => {
    await claimIdempotencyKey('u1', 'test', 'k3', LEASE);
    await completeIdempotencyKey('u1', 'test', 'k3', 'old');
    await documentClient().send(
      new UpdateCommand({
        TableName: dynamo.tableName,
        Key: { PK: 'USER#u1', SK: 'IDEMPOTENCY#test#k3' },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 10 },
      }),
    );
    expect(await claimIdempotencyKey('u1', 'test', 'k3', LEASE)).toEqual({ state: 'new' });

    expect(await claimIdempotencyKey('u1', 'test', 'k4', { leaseMs: 1 })).toEqual({ state: 'new' });
    await new Promise((r) => setTimeout(r, 10));
    expect(await claimIdempotencyKey('u1', 'test', 'k4', LEASE)).toEqual({ state: 'new' });
  });

  test('the same key with a different fingerprint is a Conflict', async () => {
    await claimIdempotencyKey('u1', 'test', 'k5', { fingerprint: 'aaa', leaseMs: 60_000 });
    await completeIdempotencyKey('u1', 'test', 'k5', 1);
    expect(await claimIdempotencyKey('u1', 'test', 'k5', { fingerprint: 'aaa', leaseMs: 60_000 })).toEqual({
      state: 'done',
      result: 1,
    });
    await expect(
      claimIdempotencyKey('u1', 'test', 'k5', { fingerprint: 'bbb', leaseMs: 60_000 }),
    ).rejects.toMatchObject({
      code: 'Conflict',
    });
  });

  test('header validation', () => {
    expect(parseIdempotencyKey({})).toBeUndefined();
    expect(parseIdempotencyKey({ 'idempotency-key': 'abc-123 #ok' })).toBe('abc-123 #ok');
    expect(parseIdempotencyKey({ 'idempotency-key': 'x'.repeat(200) })).toHaveLength(200);
    for (const bad of ['', ' ', 'x'.repeat(201), 'tab\there', 'é']) {
      expect(() => parseIdempotencyKey({ 'idempotency-key': bad })).toThrow(/Idempotency-Key/);
    }
  });
});
