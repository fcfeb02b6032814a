import { json, type RouteHandler } from '../lib/http/types.js';

export const health: RouteHandler = async () => json(200, { ok: true });
