/**
 * The Lambda entry point: one natively streaming handler for every route. The same function serves
 * Function URL events behind CloudFront, API Gateway events, and the local node:http shim.
 */
import { checkConfig } from '../lib/config.js';
import { dispatch } from '../lib/http/dispatch.js';
import { createRouter } from '../lib/http/router.js';
import { routes } from './routes.js';

// A bad setting fails the container's init with a message naming the variable, not some later request.
checkConfig();

// Built once per container: the table is static data (no per-request state at module level).
const router = createRouter(routes);

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  await dispatch(event, responseStream, context, router);
});
