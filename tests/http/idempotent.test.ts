/** The one idempotency wrapper of POST routes, against the real store (dynalite through the real SDK). */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../../lib/errors.js';
import { idempotent } from '../../lib/http/idempotent.js';
import { json, type Reply } from '../../lib/http/types.js';
import { documentClient } from '../../lib/store/client.js';
import { makeContext } from '../support/context.js';
import { useDynamo } from '../support/dynamo.js';

const dynamo = useDynamo();

const ctxWithKey = (key: string, remainingMs = 60_000) => {
  const ctx = makeContext({ method: 'POST', headers: { 'idempotency-key': key } });
  ctx.remainingMs = () => remainingMs;
  return ctx;
};

const statusOf = (reply: Reply) => (reply.kind === 'json' ? reply.status : 'sse');

describe('idempotent()', () => {
  test('runs the work once, even for concurrent duplicates; a retry gets the remembered outcome', async () => {
    let runs = 0;
    let duplicates: PromiseSettledResult<Reply>[] = [];
    const work = {
      async run() {
        runs++;
        // Two twins arrive while this request holds the key (deterministically, whatever the load).
        duplicates = await Promise.allSettled([
          idempotent(ctxWithKey('k1'), 'test', { a: 1 }, work),
          idempotent(ctxWithKey('k1'), 'test', { a: 1 }, work),
        ]);
        return { remember: { n: runs }, reply: json(201, { n: runs }) };
      },
      replay: async (remembered: { n: number }) => json(200, { replayed: remembered }),
    };
    const first = await idempotent(ctxWithKey('k1'), 'test', { a: 1 }, work);
    expect(statusOf(first)).toBe(201);
    expect(runs).toBe(1);
    expect(duplicates.map((d) => d.status)).toEqual(['rejected', 'rejected']);
    for (const d of duplicates)
      expect((d as PromiseRejectedResult).reason).toMatchObject({ code: 'Conflict' });
    expect(await idempotent(ctxWithKey('k1'), 'test', { a: 1 }, work)).toEqual(
      json(200, { replayed: { n: 1 } }),
    );
    expect(runs).toBe(1);
  });

  test('the same key with another body is a Conflict', async () => {
    const work = {
      run: async () => ({ remember: 1, reply: json(201, {}) }),
      replay: async () => json(200, {}),
    };
    await idempotent(ctxWithKey('k2'), 'test', { a: 1 }, work);
    await expect(idempotent(ctxWithKey('k2'), 'test', { a: 2 }, work)).rejects.toMatchObject({
      code: 'Conflict',
    });
  });

  test('a failed run releases the key, so a retry runs again', async () => {
    await expect(
      idempotent(
        ctxWithKey('k3'),
        'test',
        {},
        {
          run: async () => {
            throw new AppError('ConnectorError', 'boom');
          },
          replay: async () => json(200, {}),
        },
      ),
    ).rejects.toMatchObject({ code: 'ConnectorError' });
    const reply = await idempotent(
      ctxWithKey('k3'),
      'test',
      {},
      {
        run: async () => ({ remember: 'second', reply: json(201, { second: true }) }),
        replay: async () => json(200, {}),
      },
    );
    expect(reply).toEqual(json(201, { second: true }));
  });

  test("the claim's lease is the invocation's remaining time plus a margin", async () => {
    let leaseUntil = 0;
    await idempotent(
      ctxWithKey('k4', 120_000),
      'test',
      {},
      {
        async run() {
          const out = await documentClient().send(
            new GetCommand({
              TableName: dynamo.tableName,
              Key: { PK: 'USER#user-a', SK: 'IDEMPOTENCY#test#k4' },
            }),
          );
          leaseUntil = out.Item!.leaseUntil as number;
          return { remember: 1, reply: json(201, {}) };
        },
        replay: async () => json(200, {}),
      },
    );
    const lease = leaseUntil - Date.now();
    expect(lease).toBeGreaterThan(120_000);
    expect(lease).toBeLessThanOrEqual(150_000);
  });

  test('without a key the work just runs', async () => {
    let runs = 0;
    const work = {
      run: async () => ({ remember: ++runs, reply: json(201, {}) }),
      replay: async () => json(200, {}),
    };
    const ctx = makeContext({ method: 'POST' });
    await idempotent(ctx, 'test', {}, work);
    await idempotent(ctx, 'test', {}, work);
    expect(runs).toBe(2);
  });
});
