/**
 * The two 429s of the taxonomy. `TooManyRequests` names the limit that was hit (`limit`), its value (`max`)
 * and when to try again (`retryAfterS`, also sent as the `Retry-After` header by lib/http/errors.ts);
 * `QuotaExceeded` is the daily model-token budget, with what was spent and when it renews (`resetAt`).
 */
import { fmt } from '../config/parsers.js';
import { AppError } from '../errors.js';
import { secondsUntil } from './windows.js';

export type LimitName =
  | 'streams'
  | 'followStreams'
  | 'modelTokensPerDay'
  | 'sqlRequestsPerMinute'
  | 'sqlConcurrentPerConnector'
  | 'connectors';

export function tooManyRequests(
  limit: LimitName,
  max: number,
  retryAfterS: number,
  message: string,
): AppError {
  return new AppError('TooManyRequests', message, { limit, max, retryAfterS });
}

export function quotaExceeded(max: number, used: number, resetAtMs: number, now: number): AppError {
  const retryAfterS = secondsUntil(resetAtMs, now);
  return new AppError(
    'QuotaExceeded',
    `The daily model budget of ${fmt(max)} tokens is spent; it renews at ${new Date(resetAtMs).toISOString()}`,
    { limit: 'modelTokensPerDay', max, used, resetAt: new Date(resetAtMs).toISOString(), retryAfterS },
  );
}
