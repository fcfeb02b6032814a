/**
 * The limit items against dynalite through the real SDK: lease pools (the line, giving back, a dead
 * holder's lease ending), counters per window, the token budget per UTC day, and the connector count (its
 * line under a burst, its start from a real count, its recount when a dead process left it too high).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../lib/config.js';
import { withConnectorSlot } from '../../lib/limits/connectors.js';
import { countSqlRequest } from '../../lib/limits/sql.js';
import { checkTokenBudget, recordTokens } from '../../lib/limits/tokens.js';
import { readUsage } from '../../lib/limits/usage.js';
import { documentClient } from '../../lib/store/client.js';
import {
  connectorTotal,
  countConnectors,
  RECOUNT_AFTER_MS,
  takeConnectorSlot,
} from '../../lib/store/connector-count.js';
import { createConnector } from '../../lib/store/connectors.js';
import { CONNECTOR_COUNT_SK, leasePoolSk, userPk } from '../../lib/store/keys.js';
import { acquireLease, releaseLease } from '../../lib/store/leases.js';
import { memoryLogger } from '../support/context.js';
import { useDynamo } from '../support/dynamo.js';
import { rejectionOf } from '../support/errors.js';

useDynamo();
const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('LIMIT_')) delete process.env[k];
  Object.assign(process.env, saved);
});

const POOL = leasePoolSk('streams');
const rejectsWith = async (p: Promise<unknown>, code: string) => {
  const err = await rejectionOf(p);
  expect(err.code).toBe(code);
  return err;
};
const later = () => Date.now() + 60_000;

describe('lease pools', () => {
  it('hold at most max leases; a lease given back frees its place', async () => {
    const a = await acquireLease('lp1', POOL, { max: 2, untilMs: later() });
    const b = await acquireLease('lp1', POOL, { max: 2, untilMs: later() });
    expect(a.ok && b.ok).toBe(true);
    const c = await acquireLease('lp1', POOL, { max: 2, untilMs: later() });
    expect(c).toEqual({ ok: false, live: 2, firstEndMs: expect.any(Number) });
    if (!a.ok) throw new Error('unreachable');
    await releaseLease('lp1', POOL, a.id);
    await releaseLease('lp1', POOL, a.id); // twice: must not free another holder's place
    expect((await acquireLease('lp1', POOL, { max: 2, untilMs: later() })).ok).toBe(true);
    expect((await acquireLease('lp1', POOL, { max: 2, untilMs: later() })).ok).toBe(false);
  });

  it('let exactly max of a burst in, and other users and pools are counted apart', async () => {
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => acquireLease('lp2', POOL, { max: 3, untilMs: later() })),
    );
    expect(burst.filter((r) => r.ok)).toHaveLength(3);
    expect((await acquireLease('lp2-other', POOL, { max: 3, untilMs: later() })).ok).toBe(true);
    expect((await acquireLease('lp2', leasePoolSk('follow'), { max: 3, untilMs: later() })).ok).toBe(true);
  });

  it("end a dead holder's lease at its time: the next taker at the line removes it", async () => {
    const now = Date.now();
    const dead = await acquireLease('lp3', POOL, { max: 1, untilMs: now + 300 });
    expect(dead.ok).toBe(true);
    expect((await acquireLease('lp3', POOL, { max: 1, untilMs: later() })).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 350));
    const next = await acquireLease('lp3', POOL, { max: 1, untilMs: later() });
    expect(next.ok).toBe(true);
    // The dead holder coming back to give its lease back changes nothing.
    if (dead.ok) await releaseLease('lp3', POOL, dead.id);
    expect((await acquireLease('lp3', POOL, { max: 1, untilMs: later() })).ok).toBe(false);
  });

  it('when the line is lowered, leases above it keep running and no new one starts', async () => {
    for (let i = 0; i < 3; i++) await acquireLease('lp4', POOL, { max: 3, untilMs: later() });
    expect(await acquireLease('lp4', POOL, { max: 2, untilMs: later() })).toMatchObject({
      ok: false,
      live: 3,
    });
  });
});

describe('SQL requests per minute', () => {
  it('count to the line within one UTC minute; the next minute starts again', async () => {
    process.env.LIMIT_SQL_REQUESTS_PER_MINUTE = '2';
    const t = Date.parse('2026-12-01T10:07:30Z');
    await countSqlRequest('sq1', t);
    await countSqlRequest('sq1', t + 1_000);
    const refused = await rejectsWith(countSqlRequest('sq1', t + 2_000), 'TooManyRequests');
    expect(refused.details).toEqual({ limit: 'sqlRequestsPerMinute', max: 2, retryAfterS: 28 });
    await countSqlRequest('sq1', Date.parse('2026-12-01T10:08:00Z'));
  });

  it('are not counted at all when the limit is off', async () => {
    process.env.LIMIT_SQL_REQUESTS_PER_MINUTE = '0';
    for (let i = 0; i < 5; i++) await countSqlRequest('sq2');
    expect((await readUsage('sq2')).sqlRequestsPerMinute).toMatchObject({ max: null, used: 0 });
  });
});

describe('the daily token budget', () => {
  it('is refused once spent, with the UTC day end as reset; the next day starts again', async () => {
    process.env.LIMIT_MODEL_TOKENS_PER_DAY = '1000';
    const t = Date.parse('2026-12-01T22:00:00Z');
    await checkTokenBudget('tk1', t);
    await recordTokens('tk1', 999, t);
    await checkTokenBudget('tk1', t);
    await recordTokens('tk1', 300, t); // a reply that crossed the line: counted in full
    const refused = await rejectsWith(checkTokenBudget('tk1', t + 1), 'QuotaExceeded');
    expect(refused.details).toEqual({
      limit: 'modelTokensPerDay',
      max: 1000,
      used: 1299,
      resetAt: '2026-12-02T00:00:00.000Z',
      retryAfterS: 7200,
    });
    await checkTokenBudget('tk1', Date.parse('2026-12-02T00:00:00Z'));
  });

  it('is counted even while off, so the usage shows the spend', async () => {
    process.env.LIMIT_MODEL_TOKENS_PER_DAY = '0';
    await recordTokens('tk2', 5_000_000);
    await checkTokenBudget('tk2');
    expect((await readUsage('tk2')).modelTokensPerDay).toMatchObject({ max: null, used: 5_000_000 });
  });
});

describe('the connector count', () => {
  const input = (name: string) => ({
    name,
    engine: 'postgres' as const,
    host: 'db.example.com',
    port: 5432,
    database: 'd',
    user: 'u',
    ssl: 'require' as const,
  });

  it('lets exactly max of a burst of creates in', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => takeConnectorSlot('cc1', 3)));
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await connectorTotal('cc1')).toBe(3);
  });

  it('starts from a real count for a user who had connectors before the count existed', async () => {
    for (let i = 0; i < 2; i++) await createConnector('cc2', input(`old ${i}`));
    expect(await takeConnectorSlot('cc2', 3)).toBe(true);
    expect(await takeConnectorSlot('cc2', 3)).toBe(false);
    expect(await connectorTotal('cc2')).toBe(3);
  });

  it('gives the slot back when the create fails', async () => {
    process.env.LIMIT_CONNECTORS_PER_USER = '1';
    const log = memoryLogger();
    await expect(
      withConnectorSlot('cc3', log, async () => {
        throw new Error('KMS is down');
      }),
    ).rejects.toThrow('KMS is down');
    await withConnectorSlot('cc3', log, () => createConnector('cc3', input('works')));
    await rejectsWith(
      withConnectorSlot('cc3', log, async () => undefined),
      'TooManyRequests',
    );
  });

  it('is recounted at the line when a dead process left it too high, once no create can be in flight', async () => {
    await createConnector('cc4', input('only one'));
    const put = (updatedAtMs: number) =>
      documentClient().send(
        new PutCommand({
          TableName: config.tableName,
          Item: { PK: userPk('cc4'), SK: CONNECTOR_COUNT_SK, n: 3, updatedAtMs },
        }),
      );
    await put(Date.now() - 1_000); // recent: a create may still be writing its connector
    expect(await takeConnectorSlot('cc4', 3)).toBe(false);
    await put(Date.now() - RECOUNT_AFTER_MS - 1_000);
    expect(await countConnectors('cc4')).toBe(1);
    expect(await takeConnectorSlot('cc4', 3)).toBe(true);
    expect(await connectorTotal('cc4')).toBe(2);
  });
});
