/**
 * Nothing a server sends may crash or hang the process: each misbehaviour of the scripted hostile server
 * (tests/support/hostile-postgres.ts) ends that query with 502 ConnectorError, and the next query works.
 * Without the wire guard, the copy, unknown-type, garbage, malformed-row and startup modes throw from pg's
 * socket handler (an uncaught exception: jest fails the file), and the huge-row, stall and flood modes wait
 * for the client-side backstop.
 */
import { statusOf } from '../../lib/http/errors.js';
import { setLogSink } from '../../lib/log.js';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { rejectionOf as failure } from '../support/errors.js';
import { startHostilePostgres, type HostileMode, type HostileServer } from '../support/hostile-postgres.js';

let server: HostileServer;
let logged: { level: string; msg: string; reason?: string; err?: { message: string } }[] = [];
let restoreSink: ReturnType<typeof setLogSink>;

beforeAll(async () => {
  server = await startHostilePostgres();
  restoreSink = setLogSink((line) => logged.push(JSON.parse(line)));
});
beforeEach(() => {
  logged = [];
});
afterAll(async () => {
  setLogSink(restoreSink);
  await server?.close();
});

const connector = (mode: HostileMode): ConnectionConfig => ({
  host: server.host,
  port: server.port,
  database: mode,
  user: 'semaia',
  ssl: 'disable',
});

const MODES: [HostileMode, RegExp][] = [
  ['copy-out', /CopyOutResponse/],
  ['copy-in', /CopyInResponse/],
  ['copy-both', /CopyBothResponse/],
  ['copy-data', /CopyData/],
  ['unknown-type', /unexpected message type \(0x71\)/],
  ['garbage', /unexpected message type/],
  ['malformed-row', /DataRow whose value is longer than the row/],
  ['notice-flood', /more than 10000 notices/],
  ['parameter-change', /change of client_encoding/],
  ['startup-unknown-auth', /authentication method the client does not support/],
  ['startup-copy-out', /CopyOutResponse/],
];

describe('a hostile server ends the query with ConnectorError and the next query works', () => {
  it('the well-behaved mode answers (so the failures below come from the misbehaviour)', async () => {
    const r = await runReadOnlyQuery(connector('normal'), 'SELECT 1');
    expect(r.rows).toEqual([[1]]);
  });

  it.each(MODES)('%s', async (mode, message) => {
    const err = await failure(runReadOnlyQuery(connector(mode), 'SELECT 1'));
    expect(err.code).toBe('ConnectorError');
    expect(statusOf(err)).toBe(502);
    expect(err.details).toEqual({ reason: 'protocol' });
    expect(err.message).toMatch(message);
    expect(server.triggered).toContain(mode);
    expect(logged).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'database server broke the protocol' }),
    ]);
    const next = await runReadOnlyQuery(connector('normal'), 'SELECT 1');
    expect(next.rows).toEqual([[1]]);
  });

  it('an exception in pg while it handles a well-framed message is contained: logged, connection destroyed', async () => {
    const err = await failure(runReadOnlyQuery(connector('extra-column'), 'SELECT 1'));
    expect(err.code).toBe('ConnectorError');
    expect(err.details).toEqual({ reason: 'protocol' });
    expect(err.message).toMatch(/a message the client could not handle/);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'a database connection failed while handling a server message',
        err: expect.objectContaining({ name: 'TypeError' }),
      }),
    ]);
    expect((await runReadOnlyQuery(connector('normal'), 'SELECT 1')).rows).toEqual([[1]]);
  });

  it('a row over the cap (SQL_MAX_ROW_BYTES) is refused when its header arrives: 400 naming the cap', async () => {
    const err = await failure(runReadOnlyQuery(connector('huge-row'), 'SELECT 1'));
    expect(err.code).toBe('SqlError');
    expect(statusOf(err)).toBe(400);
    expect(err.message).toMatch(
      /A row of 2147483632 bytes is larger than the \d+-byte limit .*SQL_MAX_ROW_BYTES/,
    );
    expect(server.triggered).toContain('huge-row');
    expect((await runReadOnlyQuery(connector('normal'), 'SELECT 1')).rows).toEqual([[1]]);
  });

  it('a message over maxMessageBytes is refused when its header arrives', async () => {
    const err = await failure(runReadOnlyQuery(connector('normal'), 'SELECT 1', { maxMessageBytes: 8 }));
    expect(err.code).toBe('ConnectorError');
    expect(err.message).toMatch(/the limit is 8/);
  });

  it('a server that closes mid-row → ConnectorError (connection lost)', async () => {
    const err = await failure(runReadOnlyQuery(connector('close-mid-row'), 'SELECT 1'));
    expect(err.code).toBe('ConnectorError');
    expect(err.details).toEqual({ reason: 'unreachable' });
    expect((await runReadOnlyQuery(connector('normal'), 'SELECT 1')).rows).toEqual([[1]]);
  });

  it('a server that stalls mid-result → ConnectorError from the client-side backstop, socket destroyed', async () => {
    const err = await failure(runReadOnlyQuery(connector('stall'), 'SELECT 1', { timeoutMs: 200 }));
    expect(err.code).toBe('ConnectorError');
    expect(err.details).toEqual({ reason: 'timeout' });
    expect(err.message).toMatch(/did not answer/);
    expect((await runReadOnlyQuery(connector('normal'), 'SELECT 1')).rows).toEqual([[1]]);
  });
});
