/** Pure parts of the value rules: array literals, exact JSON and CSV text, converters, startup options, errors. */
import { parseArrayLiteral } from '../../lib/postgres/array-literal.js';
import { startupOptions } from '../../lib/postgres/connect.js';
import { mapQueryError } from '../../lib/postgres/errors.js';
import { csvRecord, valueJson } from '../../lib/postgres/value-text.js';
import { converterFor, plainValue, RawJson } from '../../lib/postgres/values.js';

const text = (t: string) => t;

describe('array literals', () => {
  it('parses element by element, with NULL, quotes and escapes', () => {
    expect(parseArrayLiteral('{}', ',', text)).toEqual([]);
    expect(parseArrayLiteral('{1,NULL,3}', ',', Number)).toEqual([1, null, 3]);
    expect(parseArrayLiteral(String.raw`{"a,b","NULL",NULL,"","q\"x","back\\slash"}`, ',', text)).toEqual([
      'a,b',
      'NULL',
      null,
      '',
      'q"x',
      'back\\slash',
    ]);
  });

  it('nests multi-dimensional arrays and drops non-default bounds', () => {
    expect(parseArrayLiteral('{{1,2},{3,4}}', ',', Number)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseArrayLiteral('[0:1]={7,8}', ',', Number)).toEqual([7, 8]);
    expect(parseArrayLiteral('[1:1][1:2]={{7,8}}', ',', Number)).toEqual([[7, 8]]);
  });

  it("uses the type's delimiter (box arrays use ';') and keeps composite text whole", () => {
    expect(parseArrayLiteral('{(1,1),(0,0);(3,3),(2,2)}', ';', text)).toEqual(['(1,1),(0,0)', '(3,3),(2,2)']);
    expect(parseArrayLiteral(String.raw`{"(1,\"a b\")","(2,)"}`, ',', text)).toEqual(['(1,"a b")', '(2,)']);
  });

  it('refuses a malformed literal', () => {
    expect(() => parseArrayLiteral('{1,2', ',', text)).toThrow(/Malformed/);
    expect(() => parseArrayLiteral('1,2}', ',', text)).toThrow(/Malformed/);
  });
});

describe('writing values', () => {
  const json = new RawJson('{"n": 12345678901234567890,\n "x": 1e400}');

  it('embeds json as the server wrote it', () => {
    expect(valueJson([1, '2', null, true, json, [[1.5]]])).toBe(
      '[1,"2",null,true,{"n": 12345678901234567890,\n "x": 1e400},[[1.5]]]',
    );
  });

  it('keeps an NDJSON line on one line (line breaks in json text are white space)', () => {
    expect(valueJson([json], true)).toBe('[{"n": 12345678901234567890,  "x": 1e400}]');
  });

  it('writes RFC 4180 CSV records: quoted when needed, NULL empty, empty string quoted', () => {
    expect(csvRecord(['a', 'b,c', 'say "hi"', 'two\nlines', '', null, 1, false, ['x', null], json])).toBe(
      'a,"b,c","say ""hi""","two\nlines","",,1,false,"[""x"",null]","{""n"": 12345678901234567890,\n ""x"": 1e400}"\r\n',
    );
  });

  it('gives plain data for code that uses JSON.stringify', () => {
    expect(plainValue([json, 'a'])).toEqual([JSON.parse(json.text), 'a']);
  });
});

describe('converters', () => {
  it('makes JSON numbers only where they are exact', () => {
    expect(converterFor({ kind: 'bool' })('t')).toBe(true);
    expect(converterFor({ kind: 'bool' })('f')).toBe(false);
    expect(converterFor({ kind: 'int' })('-2147483648')).toBe(-2147483648);
    expect(converterFor({ kind: 'float' })('1.0000000000000002')).toBe(1.0000000000000002);
    expect(converterFor({ kind: 'float' })('-Infinity')).toBe('-Infinity');
    expect(converterFor({ kind: 'float' })('NaN')).toBe('NaN');
    expect(converterFor({ kind: 'text' })('12345678901234567890.1')).toBe('12345678901234567890.1');
  });

  it('converts array elements by the element kind', () => {
    const timestamps = converterFor({ kind: 'text', array: { element: 'timestamp', delimiter: ',' } });
    expect(timestamps('{"2024-01-02 03:04:05.123456",infinity,NULL}')).toEqual([
      '2024-01-02T03:04:05.123456',
      'infinity',
      null,
    ]);
    const jsons = converterFor({ kind: 'text', array: { element: 'json', delimiter: ',' } });
    expect(valueJson(jsons(String.raw`{"{\"a\": 1}",NULL}`))).toBe('[{"a": 1},null]');
  });
});

describe('startup options', () => {
  it('writes -c settings with spaces and backslashes escaped', () => {
    expect(startupOptions({ DateStyle: 'ISO, MDY', TimeZone: 'UTC', odd: 'a\\b' })).toBe(
      String.raw`-c DateStyle=ISO,\ MDY -c TimeZone=UTC -c odd=a\\b`,
    );
  });
});

describe('error codes', () => {
  const pgError = (code: string, message: string, extra: object = {}) =>
    Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });

  it('placeholders are a 400 that says parameters are not supported', () => {
    const bind = mapQueryError(
      pgError('08P01', 'bind message supplies 0 parameters, but prepared statement "" requires 1'),
      1,
    );
    expect(bind).toMatchObject({
      code: 'SqlError',
      message: expect.stringMatching(/^Parameters .* not supported/),
    });
    expect(mapQueryError(pgError('42P18', 'could not determine data type of parameter $1'), 1)).toMatchObject(
      {
        code: 'SqlError',
        message: bind.message,
      },
    );
  });

  it('maps class 08 by code: a protocol violation is not a dead session', () => {
    expect(mapQueryError(pgError('08P01', 'invalid frontend message type 0'), 1)).toMatchObject({
      code: 'ConnectorError',
      details: { reason: 'protocol' },
    });
    expect(mapQueryError(pgError('08006', 'connection failure'), 1)).toMatchObject({
      code: 'ConnectorError',
      message: 'The database ended the session: connection failure',
    });
    expect(mapQueryError(pgError('57P01', 'terminating connection', { severity: 'FATAL' }), 1)).toMatchObject(
      { code: 'ConnectorError', details: { reason: 'database' } },
    );
  });
});
