/**
 * The query parameters of a paginated list route, checked by hand (list routes are hot and do not need
 * zod): `limit` (1..max) and `cursor` (opaque, checked where it is decoded). Any parameter other than those
 * and the route's own (`also`) is a 400 naming it.
 */
import { badRequest } from '../errors.js';

export function parsePageQuery(
  query: Record<string, string>,
  max: number,
  fallback = max,
  also: readonly string[] = [],
): { limit: number; cursor: string | undefined } {
  const unknown = Object.keys(query).find((k) => k !== 'limit' && k !== 'cursor' && !also.includes(k));
  if (unknown !== undefined) {
    throw badRequest(`Invalid query field "${unknown}": is not a known parameter`, { field: unknown });
  }
  let limit = fallback;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d{1,6}$/.test(query.limit) || limit < 1 || limit > max) {
      throw badRequest(`Invalid query field "limit": must be an integer from 1 to ${max}`, {
        field: 'limit',
      });
    }
  }
  return { limit, cursor: query.cursor === '' ? undefined : query.cursor };
}
