/**
 * Connectors per user. The count is kept even when the limit is off, so GET /usage shows it and a limit
 * turned on later starts from the truth. The sample connector (local only, never stored) does not count.
 */
import { config } from '../config.js';
import type { Logger } from '../log.js';
import { giveConnectorSlot, takeConnectorSlot } from '../store/connector-count.js';
import { tooManyRequests } from './errors.js';

/** Only a delete frees a slot: the hint is how soon asking again could make sense at all. */
const RETRY_AFTER_S = 60;

/** Runs `create` in a new slot of the user's connector count (a 429 at the line); the slot is given back if it fails. */
export async function withConnectorSlot<T>(uid: string, log: Logger, create: () => Promise<T>): Promise<T> {
  const max = config.connectorsPerUser;
  if (!(await takeConnectorSlot(uid, max === Infinity ? Number.MAX_SAFE_INTEGER : max))) {
    throw tooManyRequests(
      'connectors',
      max,
      RETRY_AFTER_S,
      `At most ${max} connectors per user; delete one to add another`,
    );
  }
  try {
    return await create();
  } catch (err) {
    await connectorRemoved(uid, log);
    throw err;
  }
}

/** After a connector was deleted (never throws: a count left high is recounted at the line). */
export async function connectorRemoved(uid: string, log: Logger): Promise<void> {
  await giveConnectorSlot(uid).catch((err: unknown) =>
    log.error('could not count a connector out', err, { limit: 'connectors' }),
  );
}
