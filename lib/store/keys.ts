/**
 * Key builders for the single table (layout in table.ts). Every key starts with the caller's user id, and
 * ids are checked so that no value can smuggle a `#` into a key and reach another partition.
 */
import { AppError } from '../errors.js';
import { isValidUserId } from '../user-id.js';

/** Ids the store accepts for connectors, chats and messages (newId() output, `sample`, caller-made ids). */
const ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;

export const isValidId = (id: unknown): id is string => typeof id === 'string' && ID_PATTERN.test(id);

function checkUid(uid: string): string {
  // A `#` in a user id could make one user's partition spell another's (USER#a#CHAT#b).
  if (!isValidUserId(uid)) throw new AppError('Unauthorized', 'Invalid user id');
  return uid;
}

function checkId(id: string, what: string): string {
  if (!isValidId(id)) throw new Error(`invalid ${what} id`); // callers check ids from requests first
  return id;
}

export const userPk = (uid: string) => `USER#${checkUid(uid)}`;

export const CONNECTOR_PREFIX = 'CONNECTOR#';
export const connectorSk = (id: string) => CONNECTOR_PREFIX + checkId(id, 'connector');

export const CHAT_PREFIX = 'CHAT#';
export const chatSk = (id: string) => CHAT_PREFIX + checkId(id, 'chat');
export const connectorChatsPk = (uid: string, connectorId: string) =>
  `${userPk(uid)}#CONNECTOR#${checkId(connectorId, 'connector')}`;

export const messagesPk = (uid: string, chatId: string) => `${userPk(uid)}#CHAT#${checkId(chatId, 'chat')}`;
export const MESSAGE_PREFIX = 'MSG#';
export const messageSk = (id: string) => MESSAGE_PREFIX + checkId(id, 'message');

export const IDEMPOTENCY_PREFIX = 'IDEMPOTENCY#';
export const idempotencySk = (scope: string, key: string) => `${IDEMPOTENCY_PREFIX}${scope}#${key}`;

export const SCHEMA_INDEX_PREFIX = 'SCHEMAINDEX#';
export const schemaIndexPrefix = (connectorId: string) =>
  `${SCHEMA_INDEX_PREFIX}${checkId(connectorId, 'connector')}#`;
/** Part numbers are zero-padded so parts sort in order. */
export const schemaIndexSk = (connectorId: string, part: number) =>
  schemaIndexPrefix(connectorId) + String(part).padStart(2, '0');

/** Limit items (lib/limits): lease pools and counters, all in the user's own partition. */
export const LIMIT_PREFIX = 'LIMIT#';
/** One item per pool holds its leases: `streams`, `follow`, or the SQL running on one connector. */
export const leasePoolSk = (pool: 'streams' | 'follow') => `${LIMIT_PREFIX}LEASES#${pool}`;
export const sqlLeasePoolSk = (connectorId: string) =>
  `${LIMIT_PREFIX}LEASES#sql#${checkId(connectorId, 'connector')}`;
/** A counter for one time window (`window` is the window's UTC label, e.g. `2026-12-01` or `2026-12-01T10:07`). */
export const windowCounterSk = (name: 'tokens' | 'sql', window: string) =>
  `${LIMIT_PREFIX}COUNT#${name}#${window}`;
export const CONNECTOR_COUNT_SK = `${LIMIT_PREFIX}connectors`;

/** Attributes that exist only for the table's keys; stripped before an item becomes a domain object. */
export function withoutKeys<T extends Record<string, unknown>>(
  item: T,
): Omit<T, 'PK' | 'SK' | 'GSI1PK' | 'GSI1SK'> {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest;
}
