/** Pure helpers of lib/postgres: value conversion, error mapping (the statement check: statement.test.ts). */
import { AppError } from '../../lib/errors.js';
import { mapConnectError, mapQueryError } from '../../lib/postgres/errors.js';
import { timestampToIso } from '../../lib/postgres/values.js';
import { tlsOptions } from '../../lib/postgres/connect.js';

describe('values', () => {
  it('timestamps become exact ISO-8601 text', () => {
    expect(timestampToIso('2024-02-29 13:14:15.123456')).toBe('2024-02-29T13:14:15.123456');
    expect(timestampToIso('2024-02-29 13:14:15+00')).toBe('2024-02-29T13:14:15Z');
    expect(timestampToIso('2024-02-29 13:14:15.5+05:30')).toBe('2024-02-29T13:14:15.5+05:30');
    expect(timestampToIso('2024-02-29 13:14:15-08')).toBe('2024-02-29T13:14:15-08:00');
    expect(timestampToIso('infinity')).toBe('infinity');
    expect(timestampToIso('0044-03-15 00:00:00 BC')).toBe('0044-03-15 00:00:00 BC');
  });
});

describe('error mapping', () => {
  const pgError = (code: string, message: string, extra: object = {}) =>
    Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });

  it('maps connection failures to reasons', () => {
    const reason = (err: unknown) => mapConnectError(err, 'db.example:5432', 5000).details?.reason;
    expect(reason(pgError('28P01', 'password authentication failed for user "u"'))).toBe('auth');
    expect(reason(pgError('28000', 'no pg_hba.conf entry'))).toBe('auth');
    expect(reason(pgError('3D000', 'database "x" does not exist'))).toBe('database');
    expect(reason(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      'unreachable',
    );
    expect(reason(new Error('Connection terminated due to connection timeout'))).toBe('timeout');
    expect(reason(new Error('The server does not support SSL connections'))).toBe('tls');
    expect(
      reason(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    ).toBe('tls');
    expect(
      reason(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string')),
    ).toBe('auth');
  });

  it('maps query errors', () => {
    const timeout = mapQueryError(
      pgError('57014', 'canceling statement due to statement timeout'),
      15_000,
    ) as AppError;
    expect(timeout.code).toBe('QueryTimeout');
    expect(timeout.message).toBe('The query was cancelled after 15 s (statement timeout)');
    const sql = mapQueryError(
      pgError('42P01', 'relation "x" does not exist', { position: '15', hint: 'h' }),
      1,
    ) as AppError;
    expect(sql.code).toBe('SqlError');
    expect(sql.details).toEqual({ pgCode: '42P01', position: 15, hint: 'h' });
    const bug = new TypeError('x is undefined');
    expect(mapQueryError(bug, 1)).toBe(bug); // our own bugs stay Internal (500, logged)
  });
});

describe('tlsOptions', () => {
  const base = { host: 'db.example.com', port: 5432, database: 'd', user: 'u' };
  it('disable → no TLS; require → no verification; verify-full → verify the name', () => {
    expect(tlsOptions({ ...base, ssl: 'disable' })).toBe(false);
    expect(tlsOptions({ ...base, ssl: 'require' })).toEqual({
      rejectUnauthorized: false,
      servername: 'db.example.com',
    });
    const strict = tlsOptions({ ...base, ssl: 'verify-full' });
    expect(strict).toMatchObject({ rejectUnauthorized: true, servername: 'db.example.com' });
    expect(typeof (strict as { checkServerIdentity?: unknown }).checkServerIdentity).toBe('function');
    expect(tlsOptions({ ...base, host: '203.0.113.5', ssl: 'require' })).toEqual({
      rejectUnauthorized: false,
    });
  });
});
