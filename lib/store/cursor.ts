/**
 * Opaque page cursors. A cursor carries only the id of the last item returned; the DynamoDB start key is
 * rebuilt from the caller's own user id, so no cursor can point into another user's partition.
 */
import { badRequest } from '../errors.js';
import { isValidId } from './keys.js';

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, id: lastId }), 'utf8').toString('base64url');
}

/** The last id of the previous page; a cursor that was not made by encodeCursor is a 400. */
export function decodeCursor(cursor: string): string {
  const invalid = () =>
    badRequest('Invalid query field "cursor": not a cursor from a previous page', { field: 'cursor' });
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { v, id } = (parsed ?? {}) as { v?: unknown; id?: unknown };
  if (v !== 1 || !isValidId(id)) throw invalid();
  return id;
}
