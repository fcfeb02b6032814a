/** The connector's schema as the model's context: the index's name and deadline handling shared by chats and explain. */
import type { SchemaRef } from '../model/schema.js';
import type { Connector } from '../types.js';

/** Names the user, the connector and its version, so an edited connector gets a new index. */
export const schemaRef = (uid: string, connector: Connector): SchemaRef => ({
  uid,
  connectorId: connector.id,
  version: connector.updatedAt,
});

/** Resolves within the deadline or not at all (the caller then goes on without it). */
export async function beforeDeadline<T>(work: Promise<T>, deadlineAt: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadlineAt - Date.now()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
