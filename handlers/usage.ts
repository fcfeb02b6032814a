/** GET /usage — where the user stands against each limit (lib/limits/usage.ts), for the client to show. */
import { json, type RouteHandler } from '../lib/http/types.js';
import { readUsage } from '../lib/limits/usage.js';

export const getUsage: RouteHandler = async (ctx) => json(200, await readUsage(ctx.user.uid));
