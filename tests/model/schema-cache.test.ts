/**
 * Where a connector's schema index comes from: the catalog once, then this process or DynamoDB (a new
 * process reads no catalog), re-verified by the catalog fingerprint. Real PostgreSQL, real SDK on dynalite.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { clearSchemaCache, getSchemaContext } from '../../lib/model/schema.js';
import {
  RECHECK_MS,
  SchemaIndexCache,
  type CatalogSource,
  type SchemaRef,
} from '../../lib/model/schema/cache.js';
import { readCatalogFingerprint } from '../../lib/postgres/fingerprint.js';
import { inspectSchema } from '../../lib/postgres/inspect.js';
import { loadSchemaIndex, saveSchemaIndex, touchSchemaIndex } from '../../lib/store/schema-index.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { useDynamo } from '../support/dynamo.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

useDynamo();

let db: TestDatabase;
let conn: ConnectionConfig;
/** Nothing listens there: any catalog read would fail. */
const unreachable = (): ConnectionConfig => ({ ...conn, port: 1 });

beforeAll(async () => {
  db = await createTestDatabase('schema_cache');
  const reader = await db.readerUrl(); // before the fixture: its default privileges cover every table
  await db.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text);
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric);`);
  conn = parsePostgresUrl(reader, 'disable');
});
afterAll(async () => {
  await db?.drop();
});

/** The real catalog, counted. */
function countedCatalog() {
  const calls = { fingerprint: 0, inspect: 0 };
  const catalog: CatalogSource = {
    fingerprint: (c, signal) => (calls.fingerprint++, readCatalogFingerprint(c, { signal })),
    inspect: (c, signal) => (calls.inspect++, inspectSchema(c, { signal, maxRelations: 20_000 })),
  };
  return { calls, catalog };
}

const dynamoStore = {
  load: (ref: SchemaRef) => loadSchemaIndex<any>(ref.uid, ref.connectorId),
  save: (ref: SchemaRef, stored: any) => saveSchemaIndex(ref.uid, ref.connectorId, stored),
  touch: (ref: SchemaRef, fp: string, at: number) => touchSchemaIndex(ref.uid, ref.connectorId, fp, at),
};

const names = (loaded: { ranked: { search: { relations: { name: string }[] } } }) =>
  loaded.ranked.search.relations.map((r) => r.name).sort();

describe('the schema index cache', () => {
  it('survives a new process through DynamoDB: no catalog read at all while it is fresh', async () => {
    const ref = { uid: 'user-a', connectorId: 'c1', version: '2024-01-01T00:00:00.000Z' };
    const first = countedCatalog();
    const a = await new SchemaIndexCache({ catalog: first.catalog, store: dynamoStore }).get(ref, conn);
    expect(a.source).toBe('catalog');
    expect(first.calls).toEqual({ fingerprint: 1, inspect: 1 });

    // A new process: empty memory, and a database it could not even reach.
    const second = countedCatalog();
    const b = await new SchemaIndexCache({ catalog: second.catalog, store: dynamoStore }).get(
      ref,
      unreachable(),
    );
    expect(b.source).toBe('store');
    expect(second.calls).toEqual({ fingerprint: 0, inspect: 0 });
    expect(names(b)).toEqual(['customers', 'orders']);
  });

  it('works the same through getSchemaContext after the in-process cache is cleared', async () => {
    const key = { uid: 'user-b', connectorId: 'c2', version: '2024-01-01T00:00:00.000Z' };
    expect((await getSchemaContext(key, conn, { question: 'orders' })).source).toBe('catalog');
    expect((await getSchemaContext(key, unreachable())).source).toBe('memory');
    clearSchemaCache();
    const cold = await getSchemaContext(key, unreachable(), { question: 'orders per customer' });
    expect(cold.source).toBe('store');
    expect(cold.summary).toContain('- public.orders: id int PK, customer_id int → public.customers.id');
  });

  it('checks the fingerprint after RECHECK_MS: unchanged → no inspection; DDL → rebuilt', async () => {
    let now = 1_000_000;
    const ref = { uid: 'user-c', connectorId: 'c3', version: 'v1' };
    const { calls, catalog } = countedCatalog();
    const cache = new SchemaIndexCache({ catalog, store: dynamoStore, now: () => now });
    await cache.get(ref, conn);
    now += RECHECK_MS - 1;
    expect((await cache.get(ref, conn)).source).toBe('memory');
    expect(calls).toEqual({ fingerprint: 1, inspect: 1 });

    now += 2;
    expect((await cache.get(ref, conn)).source).toBe('memory');
    expect(calls).toEqual({ fingerprint: 2, inspect: 1 });
    expect((await loadSchemaIndex(ref.uid, ref.connectorId))!.verifiedAt).toBe(now); // stamped for other containers

    await db.query('ALTER TABLE orders ADD COLUMN shipped_on date');
    now += RECHECK_MS;
    const rebuilt = await cache.get(ref, conn);
    expect(rebuilt.source).toBe('catalog');
    expect(calls).toEqual({ fingerprint: 3, inspect: 2 });
    expect(
      rebuilt.ranked.search.relations.find((r) => r.name === 'orders')!.columns.map((c) => c.name),
    ).toContain('shipped_on');
  });

  it('rebuilds for a new connector version, and shares one load between concurrent requests', async () => {
    const { calls, catalog } = countedCatalog();
    const cache = new SchemaIndexCache({ catalog, store: dynamoStore });
    const ref = { uid: 'user-d', connectorId: 'c4', version: 'v1' };
    await Promise.all([cache.get(ref, conn), cache.get(ref, conn), cache.get(ref, conn)]);
    expect(calls.inspect).toBe(1);
    const edited = await new SchemaIndexCache({ catalog, store: dynamoStore }).get(
      { ...ref, version: 'v2' },
      conn,
    );
    expect(edited.source).toBe('catalog');
    expect(calls.inspect).toBe(2);
  });

  it('goes on without the store when DynamoDB fails, and does not remember a failed catalog read', async () => {
    const warnings: string[] = [];
    const failing = {
      load: async () => Promise.reject(new Error('throttled')),
      save: async () => Promise.reject(new Error('throttled')),
      touch: async () => undefined,
    };
    const { catalog } = countedCatalog();
    const cache = new SchemaIndexCache({ catalog, store: failing, warn: (m) => warnings.push(m) });
    const ref = { uid: 'user-e', connectorId: 'c5', version: 'v1' };
    await expect(cache.get(ref, unreachable())).rejects.toMatchObject({ code: 'ConnectorError' });
    expect(names(await cache.get(ref, conn))).toEqual(['customers', 'orders']);
    expect(warnings).toEqual([
      'could not read the cached schema index',
      'could not read the cached schema index',
      'could not store the schema index',
    ]);
  });

  it('holds a bounded number of relations in memory, least recently used out first', async () => {
    const { calls, catalog } = countedCatalog();
    const cache = new SchemaIndexCache({ catalog, store: dynamoStore, maxRelations: 3 });
    const a = { uid: 'user-f', connectorId: 'c6', version: 'v1' };
    const b = { uid: 'user-f', connectorId: 'c7', version: 'v1' };
    expect((await cache.get(a, conn)).source).toBe('catalog'); // 2 relations
    expect((await cache.get(a, conn)).source).toBe('memory');
    expect((await cache.get(b, conn)).source).toBe('catalog'); // 4 held: a goes
    expect((await cache.get(b, conn)).source).toBe('memory');
    expect((await cache.get(a, conn)).source).toBe('store');
    expect(calls.inspect).toBe(2);
  });
});
