/**
 * Inspect and query routes end to end: real HTTP through the shim, the real store on dynalite, and a real
 * PostgreSQL database reached through a connector created with the API.
 */
import { createServer } from 'node:net';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

describe('connector SQL routes over HTTP', () => {
  let api: TestApi;
  let db: TestDatabase;
  let connectorId: string;

  beforeAll(async () => {
    db = await createTestDatabase('routes_sql');
    await db.query(`
      CREATE TABLE pets (id int PRIMARY KEY, name text NOT NULL, species text);
      COMMENT ON TABLE pets IS 'Animals we know';
      INSERT INTO pets VALUES (1, 'Rex', 'dog'), (2, 'Tom', 'cat'), (3, 'Nemo', NULL);
    `);
    api = await startTestApi();
    const res = await api.request('POST', '/connectors', {
      body: { name: 'pets', url: `${await db.readerUrl()}?sslmode=disable` },
    });
    expect(res.status).toBe(201);
    connectorId = res.json.connector.id;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('inspects the schema', async () => {
    const res = await api.request('GET', `/connectors/${connectorId}/inspect`);
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.json);
    expect(text).toContain('"pets"');
    expect(text).toContain('Animals we know');
    expect(res.json).toMatchObject({ truncated: false, nextCursor: null });
  });

  it('inspect takes a schema filter and a cursor in the query string', async () => {
    const res = await api.request('GET', `/connectors/${connectorId}/inspect?schema=public`);
    expect(res.status).toBe(200);
    expect(res.json.schemas.map((s: { name: string }) => s.name)).toEqual(['public']);
    const none = await api.request('GET', `/connectors/${connectorId}/inspect?schema=nosuchschema`);
    expect(none.json).toMatchObject({ schemas: [], relationCount: 0 });
    const bad = await api.request('GET', `/connectors/${connectorId}/inspect?cursor=xyz`);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'IncorrectSignature', field: 'cursor' });
  });

  it('runs a query: columns with types, rows as arrays, limits with truncated', async () => {
    const res = await api.request('POST', `/connectors/${connectorId}/query`, {
      body: { sql: 'select id, name, name from pets order by id', limit: 2 },
    });
    expect(res.status).toBe(200);
    expect(res.json.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'text' },
      { name: 'name', type: 'text' },
    ]);
    expect(res.json.rows).toEqual([
      [1, 'Rex', 'Rex'],
      [2, 'Tom', 'Tom'],
    ]);
    expect(res.json).toMatchObject({ rowCount: 2, truncated: true });
    expect(typeof res.json.durationMs).toBe('number');
  });

  it('SQL errors → 400 SqlError with PostgreSQL code and position', async () => {
    const res = await api.request('POST', `/connectors/${connectorId}/query`, {
      body: { sql: 'select nme from pets' },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'SqlError', pgCode: '42703', position: 8 });
    expect(res.json.error.message).toContain('nme');
  });

  it('writes and a smuggled second statement are refused, and the data is intact', async () => {
    for (const sql of ['delete from pets', 'select 1; drop table pets', 'create table x (a int)']) {
      const res = await api.request('POST', `/connectors/${connectorId}/query`, { body: { sql } });
      expect(res.status).toBe(400);
    }
    expect((await db.query('select count(*)::int as n from pets')).rows[0].n).toBe(3);
  });

  it('validates the body, naming the field', async () => {
    const res = await api.request('POST', `/connectors/${connectorId}/query`, { body: { sql: '  ' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'IncorrectSignature', field: 'sql' });
    const limit = await api.request('POST', `/connectors/${connectorId}/query`, {
      body: { sql: 'select 1', limit: 10_001 },
    });
    expect(limit.json.error.field).toBe('limit');
  });

  it('refuses unknown body fields like the other routes', async () => {
    const res = await api.request('POST', `/connectors/${connectorId}/query`, {
      body: { sql: 'select 1', limit: 1, timeout: 99 },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('IncorrectSignature');
    expect(res.json.error.message).toContain('timeout');
  });

  it("the issue's --\\rCOPY request is refused as COPY, and the server keeps answering", async () => {
    const res = await api.request('POST', `/connectors/${connectorId}/query`, {
      body: { sql: '--\rCOPY pets TO STDOUT /*\nselect */' },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'SqlError', statement: 'COPY' });
    const next = await api.request('POST', `/connectors/${connectorId}/query`, {
      body: { sql: 'select count(*)::int from pets' },
    });
    expect(next.json.rows).toEqual([[3]]);
  });

  it('a superuser connector is refused on /query and /inspect unless the operator allows it', async () => {
    const created = await api.request('POST', '/connectors', {
      body: { name: 'admin', url: `${db.url}?sslmode=disable` },
    });
    const id = created.json.connector.id;
    const query = await api.request('POST', `/connectors/${id}/query`, { body: { sql: 'select 1' } });
    expect(query.status).toBe(400);
    expect(query.json.error).toMatchObject({ code: 'PrivilegedRole', attribute: 'superuser' });
    const inspect = await api.request('GET', `/connectors/${id}/inspect`);
    expect(inspect.json.error).toMatchObject({ code: 'PrivilegedRole', attribute: 'superuser' });
    process.env.CONNECTOR_ALLOW_PRIVILEGED_ROLES = 'true';
    try {
      const allowed = await api.request('POST', `/connectors/${id}/query`, {
        body: { sql: 'select 1 as one' },
      });
      expect(allowed.status).toBe(200);
      const schema = await api.request('GET', `/connectors/${id}/inspect`);
      expect(schema.status).toBe(200);
      expect(schema.json.role).toMatchObject({ superuser: true });
    } finally {
      delete process.env.CONNECTOR_ALLOW_PRIVILEGED_ROLES;
    }
  });

  it("another user's connector is 404 on both routes", async () => {
    const inspect = await api.request('GET', `/connectors/${connectorId}/inspect`, { user: 'user-b' });
    expect(inspect.status).toBe(404);
    const query = await api.request('POST', `/connectors/${connectorId}/query`, {
      user: 'user-b',
      body: { sql: 'select 1' },
    });
    expect(query.status).toBe(404);
    expect(query.json.error.code).toBe('NotFound');
  });

  it('under CONNECTOR_ALLOWED_NETWORKS=public a loopback host is refused with 400 HostNotAllowed', async () => {
    process.env.CONNECTOR_ALLOWED_NETWORKS = 'public';
    try {
      const res = await api.request('POST', `/connectors/${connectorId}/query`, {
        body: { sql: 'select 1' },
      });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('HostNotAllowed');
    } finally {
      delete process.env.CONNECTOR_ALLOWED_NETWORKS;
    }
  });

  it('an unreachable database → 502 ConnectorError, quickly', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const created = await api.request('POST', '/connectors', {
      body: {
        name: 'closed',
        host: '127.0.0.1',
        port,
        database: 'x',
        user: 'x',
        password: 'pw',
        ssl: 'disable',
      },
    });
    const res = await api.request('POST', `/connectors/${created.json.connector.id}/query`, {
      body: { sql: 'select 1' },
    });
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({ code: 'ConnectorError', reason: 'unreachable' });
    expect(res.text).not.toContain('pw');
  });
});
