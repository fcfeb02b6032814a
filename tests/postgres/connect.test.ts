import { startHostilePostgres } from '../support/hostile-postgres.js';
import { statusOf } from '../../lib/http/errors.js';
import { createServer, type Server, type Socket } from 'node:net';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { freePort } from '../../lib/local/embedded-postgres.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { rejectionOf as failure } from '../support/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
let conn: ConnectionConfig;

beforeAll(async () => {
  db = await createTestDatabase('connect');
  conn = parsePostgresUrl(await db.readerUrl(), 'disable');
});
afterAll(async () => {
  await db?.drop();
});

describe('connection failures are clear ConnectorErrors in bounded time', () => {
  it('closed port → unreachable', async () => {
    const port = await freePort();
    const err = await failure(runReadOnlyQuery({ ...conn, port }, 'SELECT 1'));
    expect(err.code).toBe('ConnectorError');
    expect(statusOf(err)).toBe(502);
    expect(err.details).toEqual({ reason: 'unreachable' });
    expect(err.message).toMatch(/connection refused/);
  });

  it('a server that accepts but never answers → timeout after the connect timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await failure(runReadOnlyQuery({ ...conn, port }, 'SELECT 1', { connectTimeoutMs: 800 }));
      expect(err.code).toBe('ConnectorError');
      expect(err.details).toEqual({ reason: 'timeout' });
      expect(err.message).toMatch(/timed out after 0\.8 s/);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  it('wrong password → auth, without the password in the message', async () => {
    // A server that checks passwords as PostgreSQL does, whatever the authentication settings of the
    // server under test (CI's second run uses one with trust authentication).
    const server = await startHostilePostgres({ password: 'right-password' });
    try {
      const conn = {
        host: server.host,
        port: server.port,
        database: 'cleartext-password',
        user: 'pw_user',
        password: 'wrong-password-123',
        ssl: 'disable' as const,
      };
      const err = await failure(runReadOnlyQuery(conn, 'SELECT 1'));
      expect(err.code).toBe('ConnectorError');
      expect(err.details).toEqual({ reason: 'auth' });
      expect(err.message).toContain('password authentication failed for user "pw_user"');
      expect(err.message).not.toContain('wrong-password-123');
      expect(err.message).not.toContain('right-password');
      expect(server.passwords).toEqual(['wrong-password-123']);
    } finally {
      await server.close();
    }
  });

  it('missing database → database', async () => {
    const err = await failure(runReadOnlyQuery({ ...conn, database: 'no_such_db_xyz' }, 'SELECT 1'));
    expect(err.code).toBe('ConnectorError');
    expect(err.details).toEqual({ reason: 'database' });
  });

  it('TLS required by the connector but the server (maybe) has none, or an unverifiable certificate → tls', async () => {
    const ssl = (await db.query<{ ssl: string }>('SHOW ssl')).rows[0]!.ssl;
    if (ssl === 'off') {
      const err = await failure(runReadOnlyQuery({ ...conn, ssl: 'require' }, 'SELECT 1'));
      expect(err.code).toBe('ConnectorError');
      expect(err.details).toEqual({ reason: 'tls' });
      expect(err.message).toMatch(/does not support TLS/);
    } else {
      // A server with TLS on this machine has a self-signed certificate: require works, verify-full does not.
      const ok = await runReadOnlyQuery(
        { ...conn, ssl: 'require' },
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(ok.rows).toEqual([[true]]);
    }
    const strict = await failure(runReadOnlyQuery({ ...conn, ssl: 'verify-full' }, 'SELECT 1'));
    expect(strict.code).toBe('ConnectorError');
    expect(strict.details).toEqual({ reason: 'tls' });
  });
});
