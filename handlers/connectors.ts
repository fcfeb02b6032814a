/** Connector CRUD routes: validate, call the store, shape JSON. Passwords never appear in a reply. */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { parseConnectorPatch, parseNewConnector, type NewConnector } from '../lib/connectors/input.js';
import { parseBody } from '../lib/http/body.js';
import { json, noContent, type RouteHandler } from '../lib/http/types.js';
import * as store from '../lib/store/connectors.js';
import { parseIdempotencyKey, withIdempotency } from '../lib/store/idempotency.js';

export const listConnectors: RouteHandler = async (ctx) =>
  json(200, { connectors: await store.listConnectors(ctx.user.uid) });

/** Identifies the request for Idempotency-Key reuse checks; the password is left out of the hash on purpose. */
function fingerprint(input: NewConnector): string {
  const { password: _password, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('base64url');
}

export const createConnector: RouteHandler = async (ctx) => {
  const idempotencyKey = parseIdempotencyKey(ctx.headers);
  const input = parseNewConnector(parseBody(ctx, z.unknown()));
  const reply = await withIdempotency(
    ctx.user.uid,
    'connectors.create',
    idempotencyKey,
    fingerprint(input),
    async () => {
      const connector = await store.createConnector(ctx.user.uid, input);
      ctx.log.info('connector created', { connectorId: connector.id });
      return { status: 201, body: { connector } };
    },
  );
  return json(reply.status, reply.body);
};

export const updateConnector: RouteHandler = async (ctx) => {
  const id = ctx.params.id ?? '';
  const patch = parseConnectorPatch(parseBody(ctx, z.unknown()));
  const connector = await store.updateConnector(ctx.user.uid, id, patch);
  ctx.log.info('connector updated', { connectorId: id, fields: Object.keys(patch) });
  return json(200, { connector });
};

export const deleteConnector: RouteHandler = async (ctx) => {
  const id = ctx.params.id ?? '';
  await store.deleteConnector(ctx.user.uid, id);
  ctx.log.info('connector deleted', { connectorId: id });
  return noContent();
};
