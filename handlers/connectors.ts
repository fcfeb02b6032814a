/**
 * Connector CRUD routes: validate, call the store, shape JSON. Passwords never appear in a reply. Creates
 * and deletes move the user's connector count (lib/limits/connectors.ts).
 */
import * as z from 'zod/mini';
import { parseConnectorPatch, parseNewConnector } from '../lib/connectors/input.js';
import { parseBody } from '../lib/http/body.js';
import { idempotent } from '../lib/http/idempotent.js';
import { parsePageQuery } from '../lib/http/page-query.js';
import { json, noContent, type RouteHandler } from '../lib/http/types.js';
import { connectorRemoved, withConnectorSlot } from '../lib/limits/connectors.js';
import * as store from '../lib/store/connectors.js';
import { deleteSchemaIndex } from '../lib/store/schema-index.js';
import type { Connector } from '../lib/types.js';

export const listConnectors: RouteHandler = async (ctx) =>
  json(200, await store.listConnectors(ctx.user.uid, parsePageQuery(ctx.query, store.MAX_CONNECTOR_PAGE)));

export const createConnector: RouteHandler = async (ctx) => {
  const input = parseNewConnector(parseBody(ctx, z.unknown()));
  // The password is left out of the request's fingerprint on purpose (it is never stored in clear).
  const { password: _password, ...request } = input;
  return idempotent<{ connector: Connector }>(ctx, 'connectors.create', request, {
    async run() {
      const connector = await withConnectorSlot(ctx.user.uid, ctx.log, () =>
        store.createConnector(ctx.user.uid, input),
      );
      ctx.log.info('connector created', { connectorId: connector.id });
      return { remember: { connector }, reply: json(201, { connector }) };
    },
    replay: async (remembered) => json(201, remembered),
  });
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
  await connectorRemoved(ctx.user.uid, ctx.log);
  // The schema the model saw goes too (it would expire anyway: a failure here leaves nothing for long).
  await deleteSchemaIndex(ctx.user.uid, id).catch((err: unknown) =>
    ctx.log.error('could not delete the schema index', err, { connectorId: id }),
  );
  ctx.log.info('connector deleted', { connectorId: id });
  return noContent();
};
