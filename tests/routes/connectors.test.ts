/** The connector routes, called as the dispatcher calls them (hand-built RouteContext, real dynalite). */
import * as routes from '../../handlers/connectors.js';
import { getConnectionConfig } from '../../lib/store/connectors.js';
import { callRoute, memoryLogger } from '../support/context.js';
import { useDynamo } from '../support/dynamo.js';

useDynamo();

const PASSWORD = 'Very$ecret-9d2f-route';
const body = (over: Record<string, unknown> = {}) => ({
  name: 'Warehouse',
  engine: 'postgres',
  host: 'db.example.com',
  port: 5432,
  database: 'dw',
  user: 'analyst',
  password: PASSWORD,
  ssl: 'require',
  ...over,
});

const create = (uid: string, b: unknown = body(), headers: Record<string, string> = {}) =>
  callRoute(routes.createConnector, { uid, method: 'POST', body: b, headers });

describe('connector routes', () => {
  test('CRUD round trip, and the password never appears in a response or a log line', async () => {
    const log = memoryLogger();
    const created = await callRoute(routes.createConnector, {
      uid: 'alice',
      method: 'POST',
      body: body(),
      log,
    });
    expect(created.status).toBe(201);
    const connector = created.body.connector;
    expect(connector).toMatchObject({
      name: 'Warehouse',
      engine: 'postgres',
      port: 5432,
      ssl: 'require',
      hasPassword: true,
    });
    expect(connector.id).toMatch(/^[0-9a-z]{26}$/);

    const listed = await callRoute(routes.listConnectors, { uid: 'alice', log });
    expect(listed.status).toBe(200);
    expect(listed.body.connectors).toEqual([connector]);

    const updated = await callRoute(routes.updateConnector, {
      uid: 'alice',
      method: 'PUT',
      params: { id: connector.id },
      body: { name: 'Renamed', ssl: 'verify-full' },
      log,
    });
    expect(updated.status).toBe(200);
    expect(updated.body.connector).toMatchObject({
      id: connector.id,
      name: 'Renamed',
      ssl: 'verify-full',
      hasPassword: true,
    });
    // Kept without a password field:
    expect((await getConnectionConfig('alice', connector.id)).password).toBe(PASSWORD);

    const cleared = await callRoute(routes.updateConnector, {
      uid: 'alice',
      params: { id: connector.id },
      body: { password: null },
      log,
    });
    expect(cleared.body.connector.hasPassword).toBe(false);
    expect(await getConnectionConfig('alice', connector.id)).not.toHaveProperty('password');

    const deleted = await callRoute(routes.deleteConnector, {
      uid: 'alice',
      params: { id: connector.id },
      log,
    });
    expect(deleted).toMatchObject({ status: 204, text: '' });
    expect((await callRoute(routes.listConnectors, { uid: 'alice' })).body.connectors).toEqual([]);
    expect(
      (await callRoute(routes.deleteConnector, { uid: 'alice', params: { id: connector.id } })).status,
    ).toBe(404);

    for (const r of [created, listed, updated, cleared]) expect(r.text).not.toContain(PASSWORD);
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log.lines.join('\n')).not.toContain(PASSWORD);
  });

  test('URL form', async () => {
    const r = await create('alice', {
      name: 'From URL',
      url: `postgresql://app:${encodeURIComponent(PASSWORD)}@10.1.2.3:6432/app?sslmode=prefer`,
    });
    expect(r.status).toBe(201);
    expect(r.body.connector).toMatchObject({
      host: '10.1.2.3',
      port: 6432,
      database: 'app',
      user: 'app',
      ssl: 'require',
      hasPassword: true,
    });
    expect(r.text).not.toContain(PASSWORD);
    expect((await getConnectionConfig('alice', r.body.connector.id)).password).toBe(PASSWORD);
  });

  test('validation errors are 400 IncorrectSignature naming the field', async () => {
    const cases: [unknown, string][] = [
      [body({ port: 'abc' }), 'port'],
      [body({ ssl: 'maybe' }), 'ssl'],
      [body({ name: '' }), 'name'],
      [body({ host: undefined }), 'host'],
      [body({ url: 'postgres://u@h/d' }), 'host'],
      [{ name: 'n', url: 'http://x' }, 'url'],
    ];
    for (const [b, field] of cases) {
      const r = await create('alice', b);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'IncorrectSignature', field });
      expect(r.body.error.message).toContain(`"${field}"`);
      expect(r.text).not.toContain(PASSWORD);
    }
    const put = await callRoute(routes.updateConnector, {
      uid: 'alice',
      params: { id: 'whatever' },
      body: { port: 0 },
    });
    expect(put.body.error).toMatchObject({ code: 'IncorrectSignature', field: 'port' });
  });

  test('malformed JSON is a 400', async () => {
    for (const raw of ['{"name":', 'not json', '[1,2']) {
      const r = await create('alice', raw);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('IncorrectSignature');
    }
    const r = await create('alice', '[]');
    expect(r.status).toBe(400);
  });

  test("another user's connector is 404 on every route and never listed", async () => {
    const a = (await create('alice', body({ name: 'Alice only' }))).body.connector;
    const b = (await create('bob', body({ name: 'Bob only' }))).body.connector;
    expect(
      (await callRoute(routes.updateConnector, { uid: 'bob', params: { id: a.id }, body: { name: 'x' } }))
        .status,
    ).toBe(404);
    expect((await callRoute(routes.deleteConnector, { uid: 'bob', params: { id: a.id } })).status).toBe(404);
    const bobs = (await callRoute(routes.listConnectors, { uid: 'bob' })).body.connectors.map(
      (c: { id: string }) => c.id,
    );
    expect(bobs).toEqual([b.id]);
    const alices = (await callRoute(routes.listConnectors, { uid: 'alice' })).body.connectors.map(
      (c: { id: string }) => c.id,
    );
    expect(alices).toContain(a.id);
    expect(alices).not.toContain(b.id);
    expect(
      (await callRoute(routes.listConnectors, { uid: 'alice' })).body.connectors.find(
        (c: { id: string }) => c.id === a.id,
      ).name,
    ).toBe('Alice only');
  });

  test('Idempotency-Key: a retry returns the first result; other users are independent', async () => {
    const before = (await callRoute(routes.listConnectors, { uid: 'carol' })).body.connectors.length;
    const first = await create('carol', body(), { 'Idempotency-Key': 'create-1' });
    const retry = await create('carol', body(), { 'Idempotency-Key': 'create-1' });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    const after = (await callRoute(routes.listConnectors, { uid: 'carol' })).body.connectors;
    expect(after.length).toBe(before + 1);

    const dave = await create('dave', body(), { 'Idempotency-Key': 'create-1' });
    expect(dave.status).toBe(201);
    expect(dave.body.connector.id).not.toBe(first.body.connector.id);

    const other = await create('carol', body({ name: 'Different' }), { 'Idempotency-Key': 'create-1' });
    expect(other.status).toBe(409);

    const noKey = await create('carol', body());
    expect(noKey.body.connector.id).not.toBe(first.body.connector.id);

    const bad = await create('carol', body(), { 'Idempotency-Key': 'x'.repeat(201) });
    expect(bad.body.error).toMatchObject({ code: 'IncorrectSignature', field: 'Idempotency-Key' });
  });

  test('Idempotency-Key: concurrent duplicates create one connector', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => create('erin', body(), { 'idempotency-key': 'burst' })),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(new Set(created.map((r) => r.body.connector.id)).size).toBe(1);
    expect((await callRoute(routes.listConnectors, { uid: 'erin' })).body.connectors).toHaveLength(1);
  });

  test('a failed create does not burn the key', async () => {
    // A validation failure happens before the key is claimed; the same key then works.
    expect((await create('frank', body({ port: -1 }), { 'Idempotency-Key': 'k' })).status).toBe(400);
    expect((await create('frank', body(), { 'Idempotency-Key': 'k' })).status).toBe(201);
  });

  describe('sample connector', () => {
    afterEach(() => delete process.env.SEMAIA_SAMPLE_PG_URL);

    test('listed first and read-only when samplePgUrl is set; 404 otherwise', async () => {
      expect((await callRoute(routes.listConnectors, { uid: 'gina' })).body.connectors).toEqual([]);
      expect(
        (await callRoute(routes.deleteConnector, { uid: 'gina', params: { id: 'sample' } })).status,
      ).toBe(404);

      process.env.SEMAIA_SAMPLE_PG_URL = 'postgres://semaia:samplepw@127.0.0.1:5999/sample';
      const own = (await create('gina')).body.connector;
      const list = await callRoute(routes.listConnectors, { uid: 'gina' });
      expect(list.body.connectors.map((c: { id: string }) => c.id)).toEqual(['sample', own.id]);
      expect(list.body.connectors[0]).toMatchObject({ name: 'Sample database', hasPassword: true });
      expect(list.text).not.toContain('samplepw');
      for (const r of [
        await callRoute(routes.updateConnector, {
          uid: 'gina',
          params: { id: 'sample' },
          body: { name: 'mine' },
        }),
        await callRoute(routes.deleteConnector, { uid: 'gina', params: { id: 'sample' } }),
      ]) {
        expect(r.status).toBe(400);
        expect(r.body.error).toMatchObject({
          code: 'IncorrectSignature',
          message: 'The sample connector is read-only',
        });
      }
    });
  });
});
