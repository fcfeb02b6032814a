import { statusOf } from '../../lib/http/errors.js';
import * as z from 'zod/mini';
import { parseBody, validate } from '../../lib/http/body.js';
import { AppError } from '../../lib/errors.js';

const schema = z.object({ name: z.string().check(z.minLength(1)), port: z.optional(z.int()) });
const req = (text: string | undefined) => ({
  body: text === undefined ? undefined : Buffer.from(text),
  headers: {},
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('request body validation', () => {
  it('returns the parsed body', () => {
    expect(parseBody(req('{"name":"db","port":5432}'), schema)).toEqual({ name: 'db', port: 5432 });
  });

  it('malformed JSON → 400 IncorrectSignature', () => {
    const err = errorOf(() => parseBody(req('{"name":'), schema));
    expect(statusOf(err)).toBe(400);
    expect(err.code).toBe('IncorrectSignature');
    expect(err.message).toBe('Request body is not valid JSON');
  });

  it('a wrong field → 400 naming the field, with a readable reason', () => {
    const err = errorOf(() => parseBody(req('{"name":"db","port":"5432"}'), schema));
    expect(statusOf(err)).toBe(400);
    expect(err.details).toEqual({ field: 'port' });
    expect(err.message).toBe('Invalid body field "port": Invalid input: expected number, received string');
  });

  it('a missing body is validated as {} (so required fields are named)', () => {
    const err = errorOf(() => parseBody(req(undefined), schema));
    expect(err.details).toEqual({ field: 'name' });
  });

  it('query validation says "query"', () => {
    const err = errorOf(() => validate({ name: '' }, schema, 'query'));
    expect(err.message).toMatch(/^Invalid query field "name": /);
  });
});
