/**
 * The API process survives every mode of the hostile server (tests/support/hostile-postgres.ts): through the
 * real handler behind the shim, each misbehaving connector's /query ends with 502 ConnectorError and a normal
 * query right after works. Also: a stored password never follows a connector to another server.
 */
import { startTestApi, type TestApi } from '../support/api.js';
import { HOSTILE_MODES, startHostilePostgres, type HostileServer } from '../support/hostile-postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let api: TestApi;
let hostile: HostileServer;

beforeAll(async () => {
  hostile = await startHostilePostgres();
  // A short statement timeout so the stalled server is given up on quickly (backstop: timeout + 3 s).
  api = await startTestApi({ env: { SQL_STATEMENT_TIMEOUT_MS: '500' } });
});
afterAll(async () => {
  await api?.close();
  await hostile?.close();
});

async function connectorFor(database: string): Promise<string> {
  const res = await api.request('POST', '/connectors', {
    body: { name: database, host: hostile.host, port: hostile.port, database, user: 'u', ssl: 'disable' },
  });
  expect(res.status).toBe(201);
  return res.json.connector.id as string;
}

const query = (id: string) => api.request('POST', `/connectors/${id}/query`, { body: { sql: 'select 1' } });

describe('each hostile mode ends its request with 502 and the next request works', () => {
  const misbehaving = HOSTILE_MODES.filter(
    (m) => !['normal', 'privileged', 'cleartext-password', 'huge-row'].includes(m),
  );

  it.each(misbehaving)('%s', async (mode) => {
    const normal = await connectorFor('normal');
    const bad = await connectorFor(mode);
    const res = await query(bad);
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('ConnectorError');
    expect(hostile.triggered).toContain(mode);
    const next = await query(normal);
    expect(next.status).toBe(200);
    expect(next.json.rows).toEqual([[1]]);
  });

  it('a row announced over SQL_MAX_ROW_BYTES ends its request with 400 naming the cap; the next works', async () => {
    const res = await query(await connectorFor('huge-row'));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('SqlError');
    expect(res.json.error.message).toMatch(/SQL_MAX_ROW_BYTES/);
    expect((await query(await connectorFor('normal'))).json.rows).toEqual([[1]]);
  });

  it('a server that says the role is a superuser is refused before the statement runs', async () => {
    const res = await query(await connectorFor('privileged'));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'PrivilegedRole', attribute: 'superuser', role: 'hostile' });
  });
});

describe('credentials follow the server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('credentials');
  });
  afterAll(() => db?.drop());

  it('moving a connector with a stored password to another host needs the password again', async () => {
    const reader = new URL(await db.readerUrl());
    const created = await api.request('POST', '/connectors', {
      body: { name: 'real', url: `${reader.toString()}?sslmode=disable` },
    });
    const id = created.json.connector.id;
    expect(created.json.connector.hasPassword).toBe(true);

    // The attack: point the connector at a server that asks for the password in clear text.
    for (const body of [
      { host: hostile.host, port: hostile.port, database: 'cleartext-password' },
      { port: hostile.port },
      {
        url: `postgres://${reader.username}@${hostile.host}:${hostile.port}/cleartext-password?sslmode=disable`,
      },
    ]) {
      const moved = await api.request('PUT', `/connectors/${id}`, { body });
      expect(moved.status).toBe(400);
      expect(moved.json.error).toMatchObject({ code: 'IncorrectSignature', field: 'password' });
    }
    const inspect = await api.request('GET', `/connectors/${id}/inspect`);
    expect(inspect.status).toBe(200); // still the real database
    expect(hostile.passwords).toEqual([]);

    // With a password of its own the move is allowed, and only that password goes to the new server.
    const moved = await api.request('PUT', `/connectors/${id}`, {
      body: {
        host: hostile.host,
        port: hostile.port,
        database: 'cleartext-password',
        password: 'for-that-server',
      },
    });
    expect(moved.status).toBe(200);
    expect((await query(id)).status).toBe(200);
    expect(hostile.passwords).toEqual(['for-that-server']);
    expect(hostile.passwords).not.toContain(decodeURIComponent(reader.password));
  });
});
