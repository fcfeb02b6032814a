/**
 * One invocation, start to end: normalize the event, answer preflights, find the route, check the user,
 * run the handler, and write its JSON, SSE or streamed reply. Errors before the first body byte become JSON
 * error responses with the taxonomy's status; errors after it become an SSE `error` event, then the end, or
 * for a streamed body a cut response.
 */
import type { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { preflightHeaders } from './cors.js';
import { AppError } from '../errors.js';
import { describeError } from './errors.js';
import { normalizeEvent } from './normalize.js';
import { dropUnprovenUser } from './proven-user.js';
import { BodyResponse, SseResponse, sendJson } from './respond.js';
import { endStream } from './stream-io.js';
import type { Router } from './router.js';
import type { ApiRequest, Reply, RouteContext, RouteHandler } from './types.js';
import type { User } from '../types.js';

export interface DispatchRoute {
  method: string;
  pattern: string;
  auth: boolean;
  load: () => Promise<RouteHandler>;
}

export interface InvocationContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
  /** Only the local shim sets it: aborted when the server stops (see RouteContext.shutdown). */
  shutdown?: AbortSignal;
}

/** Lambda's stand-in for `shutdown`: never aborted. */
const NEVER = new AbortController().signal;

/** A route's view of the request. A class, so the per-request object is cheap to build. */
class Context implements RouteContext {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly cookies: string[];
  readonly body: Buffer | undefined;
  readonly sourceIp: string | undefined;
  readonly user: User;

  constructor(
    req: ApiRequest,
    readonly params: Record<string, string>,
    readonly log: Logger,
    private readonly invocation: InvocationContext,
    private readonly makeSignal: () => AbortSignal,
  ) {
    this.requestId = req.requestId;
    this.method = req.method;
    this.path = req.path;
    this.headers = req.headers;
    this.query = req.query;
    this.cookies = req.cookies;
    this.body = req.body;
    this.sourceIp = req.sourceIp;
    this.user = req.user ?? { uid: '' }; // routes with `auth: false` must not read it
  }

  get signal(): AbortSignal {
    return this.makeSignal();
  }

  get shutdown(): AbortSignal {
    return this.invocation.shutdown ?? NEVER;
  }

  remainingMs(): number {
    return this.invocation.getRemainingTimeInMillis();
  }
}

/** The first invocation of this container (Powertools' `cold_start`). */
let cold = true;

/** Route modules load once per container; the table's entries are the keys. */
const loadedHandlers = new WeakMap<DispatchRoute, RouteHandler>();

interface Outcome {
  status: number;
  route?: string;
  errorCode?: string;
  stream?: boolean;
  /** The client stopped reading (SSE_WRITE_TIMEOUT_MS): the rest of the stream was dropped. */
  stalled?: boolean;
  /** A streamed body failed after its first byte: the invocation must fail so the response is cut. */
  cut?: boolean;
}

export async function dispatch(
  event: unknown,
  responseStream: Writable,
  context: InvocationContext,
  router: Router<DispatchRoute>,
): Promise<void> {
  const started = performance.now();
  const coldStart = cold;
  cold = false;
  // Until the event is normalized, the Lambda request id is the only id there is.
  let requestLog = createLogger({ requestId: context.awsRequestId, awsRequestId: context.awsRequestId });
  // Locally the shim destroys the stream when the client leaves; Lambda never signals a disconnect.
  // The signal is made on first use: most JSON routes never ask for it.
  let abort: AbortController | undefined;
  const onGone = () => {
    if (!responseStream.writableFinished) abort?.abort();
  };
  const signal = () => {
    if (!abort) {
      abort = new AbortController();
      if (responseStream.destroyed) abort.abort();
      responseStream.once('close', onGone);
      responseStream.once('error', onGone);
    }
    return abort.signal;
  };

  let req: ApiRequest | undefined;
  let outcome: Outcome;
  try {
    req = normalizeEvent(event, context.awsRequestId);
    // Every line carries both ids: the one clients see (x-request-id) and Lambda's own (its REPORT lines).
    if (req.requestId !== context.awsRequestId) {
      requestLog = createLogger({ requestId: req.requestId, awsRequestId: context.awsRequestId });
    }
    await dropUnprovenUser(req, requestLog);
    outcome = await route(req, responseStream, context, router, requestLog, signal);
  } catch (err) {
    outcome = await failBeforeBody(err, responseStream, req?.requestId ?? context.awsRequestId, requestLog);
  } finally {
    if (abort) {
      responseStream.off('close', onGone);
      responseStream.off('error', onGone);
    }
  }

  requestLog.info('request', {
    method: req?.method,
    route: outcome.route,
    path: outcome.route ? undefined : req?.path,
    status: outcome.status,
    error: outcome.errorCode,
    stream: outcome.stream,
    stalled: outcome.stalled,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    user: req?.user?.uid,
    ...(coldStart ? { coldStart: true } : {}),
  });
  // Rejecting after the first write, before end(), is how a response is cut: the runtime sends the error
  // trailers and the front end ends the client's response mid-body (tests/local/streaming-rules.ts,
  // rejectMidStream; destroying the stream would leave the invocation hanging instead).
  if (outcome.cut) {
    throw new Error(`The response was cut after its first byte (${outcome.errorCode ?? 'Internal'})`);
  }
}

async function route(
  req: ApiRequest,
  responseStream: Writable,
  context: InvocationContext,
  router: Router<DispatchRoute>,
  requestLog: Logger,
  signal: () => AbortSignal,
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
  const ctx = new Context(req, match.params, log, context, signal);

  let reply: Reply;
  try {
    let handler = loadedHandlers.get(match.route);
    if (!handler) {
      handler = await match.route.load();
      loadedHandlers.set(match.route, handler);
    }
    reply = await handler(ctx);
  } catch (err) {
    const outcome = await failBeforeBody(err, responseStream, req.requestId, log);
    return { ...outcome, route: routeName };
  }

  if (reply.kind === 'json') {
    await sendJson(responseStream, reply.status, reply.body, { ...reply.headers, ...common });
    return { status: reply.status, route: routeName };
  }

  if (reply.kind === 'stream') {
    const body = new BodyResponse(
      responseStream,
      reply.status,
      { ...reply.headers, ...common },
      config.sseWriteTimeoutMs,
    );
    try {
      await reply.run(body);
    } catch (err) {
      if (!body.started)
        return { ...(await failBeforeBody(err, responseStream, req.requestId, log)), route: routeName };
      const { error } = describeError(err, req.requestId);
      log.error('stream failed', err);
      return { status: reply.status, route: routeName, stream: true, errorCode: error.code, cut: true };
    }
    await body.end();
    return { status: reply.status, route: routeName, stream: true };
  }

  const sse = new SseResponse(
    responseStream,
    { ...reply.headers, ...common },
    config.heartbeatMs,
    signal(),
    config.sseWriteTimeoutMs,
  );
  let errorCode: string | undefined;
  try {
    await sse.open();
    await reply.run(sse);
  } catch (err) {
    const { error } = describeError(err, req.requestId);
    errorCode = error.code;
    log.error('stream failed', err);
    await sse.send('error', error);
  } finally {
    await sse.close();
  }
  return {
    status: 200,
    route: routeName,
    stream: true,
    errorCode,
    ...(sse.stalled ? { stalled: true } : {}),
  };
}

async function failBeforeBody(
  err: unknown,
  responseStream: Writable,
  requestId: string,
  log: Logger,
): Promise<Outcome> {
  const { status, error, headers } = describeError(err, requestId);
  log.error('request failed', err, { code: error.code });
  const body = status === 204 ? undefined : { error };
  try {
    await sendJson(responseStream, status, body, { ...headers, 'x-request-id': requestId });
  } catch (writeErr) {
    // The response had already started (or the stream broke): all that is left is to end it.
    log.error('could not send the error response', writeErr);
    await endStream(responseStream);
  }
  return { status, errorCode: error.code };
}
