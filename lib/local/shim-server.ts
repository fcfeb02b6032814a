/**
 * The local shim: a node:http server that turns each request into a Function URL event, runs the same
 * streaming handler Lambda runs, and forwards its bytes as the Function URL front end does — the status
 * and headers from the prelude, then every body chunk the moment it is written (so `curl -N` shows each
 * SSE event as it is produced). Unlike Lambda, it notices a client that goes away and tells the handler
 * by destroying the response stream; code must not depend on that signal.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { StreamifyHandler } from 'aws-lambda';
import { functionUrlEvent } from './function-url-event.js';
import { invokeStreaming } from './invocation.js';

export interface ShimOptions {
  handler: StreamifyHandler;
  /** The function's timeout (Lambda's maximum is 15 minutes). */
  timeoutMs?: number;
  /** The Function URL front end refuses larger request payloads. */
  maxRequestBytes?: number;
  onLog?: (line: Record<string, unknown>) => void;
  /** Passed to every invocation as `context.shutdown` (see lib/http/types.ts RouteContext.shutdown). */
  shutdown?: AbortSignal;
}

export interface ShimServer extends Server {
  /** Invocations still running. */
  readonly inFlight: number;
  /** Resolves true once no invocation runs, or false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean>;
}

const FUNCTION_URL_MAX_REQUEST = 6 * 1024 * 1024;

export function createShimServer(options: ShimOptions): ShimServer {
  const running = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = handleRequest(req, res, options);
    running.add(done);
    void done.finally(() => running.delete(done));
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  // defineProperty, not Object.assign: assign would copy the getter's value once.
  Object.defineProperty(server, 'inFlight', { get: () => running.size });
  return Object.assign(server as Server & { readonly inFlight: number }, {
    async whenIdle(timeoutMs: number) {
      const until = Date.now() + timeoutMs;
      while (running.size > 0) {
        const left = until - Date.now();
        if (left <= 0) return false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...running]),
          new Promise((resolve) => (timer = setTimeout(resolve, left))),
        ]);
        clearTimeout(timer);
      }
      return true;
    },
  });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendFrontEndError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ Message: message }));
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, options: ShimOptions): Promise<void> {
  const body = await readBody(req, options.maxRequestBytes ?? FUNCTION_URL_MAX_REQUEST).catch(
    () => undefined,
  );
  if (body === undefined) return void res.destroy();
  if (body === 'too-large') return sendFrontEndError(res, 413, 'Request must be smaller than 6291456 bytes');

  const host = req.headers.host ?? 'localhost';
  const event = functionUrlEvent({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headersDistinct,
    body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    requestId: randomUUID(),
    now: new Date(),
    domainName: host.replace(/:\d+$/, ''),
  });

  const invocation = invokeStreaming(
    options.handler,
    event,
    {
      timeoutMs: options.timeoutMs ?? 900_000,
      requestId: event.requestContext.requestId,
      ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    },
    {
      onHead(head) {
        if (res.destroyed) return;
        res.writeHead(head.statusCode, head.headers);
        res.flushHeaders();
      },
      onBody(chunk, done) {
        if (res.destroyed) return done();
        if (res.write(chunk)) done();
        else res.once('drain', () => done());
      },
      onEnd() {
        res.end();
      },
      onFailure(reason, headSent) {
        options.onLog?.({
          level: 'error',
          msg: 'invocation failed',
          reason,
          requestId: event.requestContext.requestId,
        });
        // Before the status line the front end answers 502; after it, all it can do is cut the response.
        if (headSent) res.destroy();
        else sendFrontEndError(res, 502, 'Internal Server Error');
      },
    },
  );

  // The client went away before the response ended: tell the handler (Lambda would not).
  res.on('close', () => {
    if (!res.writableFinished && !invocation.stream.destroyed) invocation.stream.destroy();
  });
  await invocation.done;
}
