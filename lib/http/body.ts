// zod/mini (a few KB bundled) rather than classic zod (~450 KB bundled, ~150 ms of cold start here).
import { config as zodConfig, safeParse } from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { en } from 'zod/locales';
import { AppError, badRequest } from '../errors.js';
import type { ApiRequest } from './types.js';

// zod/mini ships without messages; English ones make validation errors readable.
zodConfig(en());

/** Parses the JSON body and validates it; a failure names the offending field. */
export function parseBody<T>(req: Pick<ApiRequest, 'body' | 'headers'>, schema: $ZodType<T>): T {
  let data: unknown;
  const text = req.body?.toString('utf8') ?? '';
  if (text.trim() === '') {
    data = {};
  } else {
    try {
      data = JSON.parse(text);
    } catch {
      throw badRequest('Request body is not valid JSON');
    }
  }
  return validate(data, schema, 'body');
}

/** Validates data with a zod schema; the error message names the first offending field. */
export function validate<T>(data: unknown, schema: $ZodType<T>, where: 'body' | 'query' = 'body'): T {
  const result = safeParse(schema, data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
  const message = field
    ? `Invalid ${where} field "${field}": ${issue!.message}`
    : `Invalid ${where}: ${issue?.message ?? 'failed validation'}`;
  throw new AppError('IncorrectSignature', message, field ? { field } : undefined);
}
