/**
 * One invocation, start to end: normalize the event, answer preflights, find the route, check the user,
 * run the handler, and write its JSON or SSE reply. Errors before the first body byte become JSON error
 * responses with the taxonomy's status; errors after it become an SSE `error` event, then the end.
 */
import type { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { preflightHeaders } from './cors.js';
import { AppError, describeError } from './errors.js';
import { normalizeEvent } from './normalize.js';
import { SseResponse, sendJson } from './respond.js';
import { endStream } from './stream-io.js';
import type { Router } from './router.js';
import type { ApiRequest, Reply, RouteContext, RouteHandler } from './types.js';

export interface DispatchRoute {
  method: string;
  pattern: string;
  auth: boolean;
  load: () => Promise<RouteHandler>;
}

export interface InvocationContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

interface Outcome {
  status: number;
  route?: string;
  errorCode?: string;
  stream?: boolean;
}

export async function dispatch(
  event: unknown,
  responseStream: Writable,
  context: InvocationContext,
  router: Router<DispatchRoute>,
): Promise<void> {
  const started = performance.now();
  const requestLog = createLogger({ requestId: context.awsRequestId });
  // Locally the shim destroys the stream when the client leaves; Lambda never does (see field notes §1).
  const abort = new AbortController();
  const onGone = () => {
    if (!responseStream.writableFinished) abort.abort();
  };
  responseStream.once('close', onGone);
  responseStream.once('error', onGone);

  let req: ApiRequest | undefined;
  let outcome: Outcome;
  try {
    req = normalizeEvent(event, context.awsRequestId);
    outcome = await route(req, responseStream, context, router, requestLog, abort.signal);
  } catch (err) {
    outcome = await failBeforeBody(err, responseStream, req?.requestId ?? context.awsRequestId, requestLog);
  } finally {
    responseStream.off('close', onGone);
    responseStream.off('error', onGone);
  }

  requestLog.info('request', {
    requestId: req?.requestId ?? context.awsRequestId,
    method: req?.method,
    route: outcome.route,
    path: outcome.route ? undefined : req?.path,
    status: outcome.status,
    error: outcome.errorCode,
    stream: outcome.stream,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    user: req?.user?.uid,
  });
}

async function route(
  req: ApiRequest,
  responseStream: Writable,
  context: InvocationContext,
  router: Router<DispatchRoute>,
  requestLog: Logger,
  signal: AbortSignal,
): Promise<Outcome> {
  const common = { 'x-request-id': req.requestId };

  if (req.method === 'OPTIONS') {
    const methods = router.methodsFor(req.path);
    if (methods.length === 0) throw new AppError('NotFound', `No route for ${req.path}`);
    await sendJson(responseStream, 204, undefined, { ...preflightHeaders(methods), ...common });
    return { status: 204, route: `OPTIONS ${req.path}` };
  }

  const match = router.match(req.method, req.path);
  if (match.kind === 'not-found') throw new AppError('NotFound', `No route for ${req.path}`);
  if (match.kind === 'method-not-allowed') {
    const allow = match.allow.join(', ');
    const { status, error } = describeError(
      new AppError('MethodNotAllowed', `${req.method} is not allowed on ${req.path}; use ${allow}`),
    );
    await sendJson(responseStream, status, { error }, { allow, ...common });
    return { status, errorCode: error.code };
  }

  const routeName = `${match.route.method} ${match.route.pattern}`;
  if (match.route.auth && !req.user) throw new AppError('Unauthorized', 'Authentication required');
  if (req.body && req.body.length > config.maxBodyBytes) {
    throw new AppError('PayloadTooLarge', `Request body is larger than ${config.maxBodyBytes} bytes`);
  }

  const log = requestLog.child({ route: routeName, user: req.user?.uid });
  const ctx: RouteContext = {
    ...req,
    user: req.user ?? { uid: '' },
    params: match.params,
    signal,
    remainingMs: () => context.getRemainingTimeInMillis(),
    log,
  };

  let reply: Reply;
  try {
    const handler = await match.route.load();
    reply = await handler(ctx);
  } catch (err) {
    const outcome = await failBeforeBody(err, responseStream, req.requestId, log);
    return { ...outcome, route: routeName };
  }

  if (reply.kind === 'json') {
    await sendJson(responseStream, reply.status, reply.body, { ...reply.headers, ...common });
    return { status: reply.status, route: routeName };
  }

  const sse = new SseResponse(responseStream, { ...reply.headers, ...common }, config.heartbeatMs, signal);
  let errorCode: string | undefined;
  try {
    await sse.open();
    await reply.run(sse);
  } catch (err) {
    const { error } = describeError(err, req.requestId);
    errorCode = error.code;
    if (!(err instanceof AppError) || error.code === 'Internal') log.error('stream failed', err);
    await sse.send('error', error);
  } finally {
    await sse.close();
  }
  return { status: 200, route: routeName, stream: true, errorCode };
}

async function failBeforeBody(
  err: unknown,
  responseStream: Writable,
  requestId: string,
  log: Logger,
): Promise<Outcome> {
  const { status, error } = describeError(err, requestId);
  if (status >= 500) log.error('request failed', err, { code: error.code });
  const body = status === 204 ? undefined : { error };
  try {
    await sendJson(responseStream, status, body, { 'x-request-id': requestId });
  } catch (writeErr) {
    // The response had already started (or the stream broke): all that is left is to end it.
    log.error('could not send the error response', writeErr);
    await endStream(responseStream);
  }
  return { status, errorCode: error.code };
}
