/**
 * The one route table. Each entry loads its handler module on first use (a dynamic import that esbuild
 * splits into its own chunk), so `GET /health` never loads the DynamoDB client, `pg` or the model SDK.
 */
import type { RouteHandler } from '../lib/http/types.js';
// The one route small enough to ship in the entry chunk: health checks should not wait for a chunk load.
import { health } from './health.js';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path pattern; `{name}` matches one non-empty segment. */
  pattern: string;
  /** False only for routes anyone may call. */
  auth: boolean;
  load: () => Promise<RouteHandler>;
}

export const routes: Route[] = [
  { method: 'GET', pattern: '/health', auth: false, load: async () => health },

  {
    method: 'GET',
    pattern: '/connectors',
    auth: true,
    load: async () => (await import('./connectors.js')).listConnectors,
  },
  {
    method: 'POST',
    pattern: '/connectors',
    auth: true,
    load: async () => (await import('./connectors.js')).createConnector,
  },
  {
    method: 'PUT',
    pattern: '/connectors/{id}',
    auth: true,
    load: async () => (await import('./connectors.js')).updateConnector,
  },
  {
    method: 'DELETE',
    pattern: '/connectors/{id}',
    auth: true,
    load: async () => (await import('./connectors.js')).deleteConnector,
  },
  {
    method: 'GET',
    pattern: '/connectors/{id}/inspect',
    auth: true,
    load: async () => (await import('./sql.js')).inspectConnector,
  },
  {
    method: 'POST',
    pattern: '/connectors/{id}/query',
    auth: true,
    load: async () => (await import('./sql.js')).queryConnector,
  },
  {
    method: 'POST',
    pattern: '/connectors/{id}/explain',
    auth: true,
    load: async () => (await import('./conversation.js')).explainQuery,
  },
  {
    method: 'POST',
    pattern: '/connectors/{id}/chats',
    auth: true,
    load: async () => (await import('./conversation.js')).createChat,
  },

  { method: 'GET', pattern: '/usage', auth: true, load: async () => (await import('./usage.js')).getUsage },

  { method: 'GET', pattern: '/chats', auth: true, load: async () => (await import('./chats.js')).listChats },
  {
    method: 'GET',
    pattern: '/chats/{chat_id}',
    auth: true,
    load: async () => (await import('./chats.js')).getChat,
  },
  {
    method: 'DELETE',
    pattern: '/chats/{chat_id}',
    auth: true,
    load: async () => (await import('./chats.js')).deleteChat,
  },
  {
    method: 'POST',
    pattern: '/chats/{chat_id}/messages',
    auth: true,
    load: async () => (await import('./conversation.js')).postMessage,
  },
  {
    method: 'GET',
    pattern: '/chats/{chat_id}/messages/{message_id}/events',
    auth: true,
    load: async () => (await import('./events.js')).messageEvents,
  },
];
