/** Pure parsing: connection URLs and connector request bodies. */
import fc from 'fast-check';
import { parseConnectorPatch, parseNewConnector } from '../../lib/connectors/input.js';
import { parsePostgresUrl, UrlParseError } from '../../lib/connectors/url.js';
import { AppError } from '../../lib/errors.js';

const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('IncorrectSignature');
    return { field: (err as AppError).details?.field, message: (err as AppError).message };
  }
  throw new Error('expected a validation error');
};

describe('parsePostgresUrl', () => {
  test('full URL with escapes, IPv6 and sslmode', () => {
    expect(
      parsePostgresUrl('postgresql://us%40er:p%40ss%3Aw%2F@[2001:db8::1]:6543/my%20db?sslmode=verify-ca'),
    ).toEqual({
      host: '2001:db8::1',
      port: 6543,
      database: 'my db',
      user: 'us@er',
      password: 'p@ss:w/',
      ssl: 'verify-full',
    });
  });

  test('defaults: port 5432, database = user, ssl require, no password', () => {
    expect(parsePostgresUrl('postgres://alice@db.example.com')).toEqual({
      host: 'db.example.com',
      port: 5432,
      database: 'alice',
      user: 'alice',
      ssl: 'require',
    });
  });

  test.each([
    ['disable', 'disable'],
    ['allow', 'require'],
    ['prefer', 'require'],
    ['require', 'require'],
    ['verify-ca', 'verify-full'],
    ['verify-full', 'verify-full'],
  ])('sslmode=%s → %s', (mode, ssl) => {
    expect(parsePostgresUrl(`postgres://u@h/d?sslmode=${mode}`).ssl).toBe(ssl);
  });

  test('ssl=true/false (node-postgres style)', () => {
    expect(parsePostgresUrl('postgres://u@h/d?ssl=false').ssl).toBe('disable');
    expect(parsePostgresUrl('postgres://u@h/d?ssl=true', 'disable').ssl).toBe('require');
  });

  test.each([
    'mysql://u@h/d',
    'postgres://h/d',
    'postgres://u@/d',
    'postgres://u@h:0/d',
    'postgres://u@h:99999/d',
    'postgres://u@h/d?sslmode=bogus',
    'postgres://u@h1,h2/d',
    'postgres://u@h/a/b',
    'postgres://u@h/d?host=/var/run',
    'postgres://u:%E0%A4%A@h/d',
  ])('rejects %s', (url) => {
    expect(() => parsePostgresUrl(url)).toThrow(UrlParseError);
  });

  test('error messages never contain the password', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 20 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)),
        (pw) => {
          for (const url of [
            `postgres://u:${pw}@h:99999/d`,
            `postgres://u:${pw}@h/d?sslmode=x`,
            `postgres://u:${pw}@/d`,
          ]) {
            try {
              parsePostgresUrl(url);
            } catch (err) {
              expect(String((err as Error).message)).not.toContain(pw);
            }
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('connector bodies', () => {
  test('separate fields with defaults', () => {
    expect(parseNewConnector({ name: ' Prod ', host: 'db', database: 'd', user: 'u' })).toEqual({
      name: 'Prod',
      host: 'db',
      port: 5432,
      database: 'd',
      user: 'u',
      ssl: 'require',
    });
  });

  test('URL form; an explicit password wins over the URL one; empty password means none', () => {
    expect(parseNewConnector({ name: 'n', url: 'postgres://u:frompath@h:5433/d?sslmode=disable' })).toEqual({
      name: 'n',
      host: 'h',
      port: 5433,
      database: 'd',
      user: 'u',
      password: 'frompath',
      ssl: 'disable',
    });
    expect(
      parseNewConnector({ name: 'n', url: 'postgres://u:frompath@h/d', password: 'explicit' }).password,
    ).toBe('explicit');
    expect(parseNewConnector({ name: 'n', url: 'postgres://u@h/d', password: '' }).password).toBeNull();
  });

  test.each([
    [{ host: 'h', database: 'd', user: 'u' }, 'name'],
    [{ name: '', host: 'h', database: 'd', user: 'u' }, 'name'],
    [{ name: 'x'.repeat(101), host: 'h', database: 'd', user: 'u' }, 'name'],
    [{ name: 'n', database: 'd', user: 'u' }, 'host'],
    [{ name: 'n', host: '/var/run/postgresql', database: 'd', user: 'u' }, 'host'],
    [{ name: 'n', host: 'a@b', database: 'd', user: 'u' }, 'host'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', port: 0 }, 'port'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', port: 70000 }, 'port'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', port: 5432.5 }, 'port'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', port: '5432' }, 'port'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', ssl: 'prefer' }, 'ssl'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', engine: 'mysql' }, 'engine'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', password: 5 }, 'password'],
    [{ name: 'n', host: 'h', database: 'd', user: 'u', passwd: 'x' }, 'passwd'],
    [{ name: 'n', host: 'h', user: 'u' }, 'database'],
    [{ name: 'n', url: 'mysql://u@h/d' }, 'url'],
    [{ name: 'n', url: 'postgres://u@h/d', host: 'other' }, 'host'],
  ])('%j → field %s', (body, field) => {
    expect(fieldOf(() => parseNewConnector(body)).field).toBe(field);
  });

  test('one validator for both forms: control characters and NUL are refused in every field', () => {
    // The issue's URL: CR/LF in the user name, NULs in the database name that became startup parameters.
    const issue = fieldOf(() =>
      parseNewConnector({ name: 'n', url: 'postgres://u%0D%0A:pw@host/db%00statement_timeout%000' }),
    );
    expect(issue).toEqual({
      field: 'url',
      message: 'Invalid body field "url": the URL\'s user name must not contain control characters',
    });
    const url = (u: string) => fieldOf(() => parseNewConnector({ name: 'n', url: u })).message;
    expect(url('postgres://u@host/db%00x')).toMatch(/the URL's database name must not contain control/);
    expect(url('postgres://u:p%0Aw@host/db')).toMatch(/the URL's password must not contain control/);
    expect(url('postgres://u:p%00@host/db')).toMatch(/the URL's password must not contain control/);
    expect(url('postgres://u@ho%0Ast/db')).toMatch(/the URL/);
    expect(fieldOf(() => parseConnectorPatch({ url: 'postgres://u%00@h/d' })).field).toBe('url');
    const fields = { name: 'n', host: 'h', database: 'd', user: 'u' };
    for (const [field, value] of [
      ['name', 'a\u0007b'],
      ['host', 'h\u0000'],
      ['database', 'd\r\nx'],
      ['user', 'u\u0000statement_timeout'],
      ['password', 'p\u0000w'],
      ['password', 'line\nbreak'],
    ] as const) {
      const err = fieldOf(() => parseNewConnector({ ...fields, [field]: value }));
      expect(err.field).toBe(field);
      expect(err.message).toMatch(/control characters|not a valid host/);
      expect(fieldOf(() => parseConnectorPatch({ [field]: value })).field).toBe(field);
    }
    // Ordinary characters (spaces, unicode, URL-escaped punctuation) are fine in both forms.
    expect(parseNewConnector({ name: 'n', url: 'postgres://us%20er:p%C3%A4ss%21@h/my%20db' })).toMatchObject({
      user: 'us er',
      password: 'päss!',
      database: 'my db',
    });
  });

  test('a bad URL error does not echo the URL', () => {
    const { message } = fieldOf(() =>
      parseNewConnector({ name: 'n', url: 'postgres://u:TopSecret1@h:99999/d' }),
    );
    expect(message).not.toContain('TopSecret1');
  });

  test('patches: only given fields; password null clears, absent keeps', () => {
    expect(parseConnectorPatch({})).toEqual({});
    expect(parseConnectorPatch({ name: 'x', port: 1 })).toEqual({ name: 'x', port: 1 });
    expect(parseConnectorPatch({ password: null })).toEqual({ password: null });
    expect(parseConnectorPatch({ password: 'p' })).toEqual({ password: 'p' });
    expect(parseConnectorPatch({ url: 'postgres://u@h/d' })).toEqual({
      host: 'h',
      port: 5432,
      database: 'd',
      user: 'u',
      ssl: 'require',
    });
    expect(fieldOf(() => parseConnectorPatch({ name: '' })).field).toBe('name');
    expect(fieldOf(() => parseConnectorPatch({ port: -1 })).field).toBe('port');
  });
});
