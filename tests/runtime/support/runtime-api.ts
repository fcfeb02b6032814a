/**
 * A stand-in for Lambda's Runtime API (the HTTP interface between the platform and a runtime), so the real
 * runtime interface client can run here. It speaks the 2018-06-01 protocol:
 *   GET  /2018-06-01/runtime/invocation/next           → the event (held open until one is queued), with the
 *        Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn and -Trace-Id headers
 *   POST /2018-06-01/runtime/invocation/{id}/response  → the response; a streaming one is chunked with
 *        `Lambda-Runtime-Function-Response-Mode: streaming` and may end with the error trailers
 *        Lambda-Runtime-Function-Error-Type / -Body (a failure after the response started)
 *   POST /2018-06-01/runtime/invocation/{id}/error     → the invocation failed
 *   POST /2018-06-01/runtime/init/error                → the function's init failed
 * It records every byte with its arrival time, so tests can check what the front end would receive and when.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const BASE = '/2018-06-01/runtime';
export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:semaia-api-lane';

export interface Chunk {
  bytes: Buffer;
  /** performance.now() at arrival. */
  at: number;
}

export type InvocationResult =
  | {
      kind: 'response';
      headers: IncomingHttpHeaders;
      body: Buffer;
      chunks: Chunk[];
      /** Trailers sent after the last chunk (lower-case names). */
      trailers: Record<string, string | undefined>;
    }
  | { kind: 'error'; headers: IncomingHttpHeaders; body: string };

export interface Invocation extends EventEmitter<{ chunk: [Chunk] }> {
  readonly requestId: string;
  /** Settles when the runtime has posted the whole response, or an error. */
  readonly result: Promise<InvocationResult>;
  /** Chunks of the response received so far. */
  readonly chunks: Chunk[];
  /** True once the runtime has started posting the response. */
  readonly responding: boolean;
}

export interface InitError {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RuntimeApi {
  /** `host:port`, for AWS_LAMBDA_RUNTIME_API. */
  readonly address: string;
  /** Queues an event; the runtime receives it on its next GET /next. */
  invoke(event: unknown, options?: { requestId?: string; deadlineMs?: number }): Invocation;
  /** Settles when the runtime reports an init error. */
  readonly initError: Promise<InitError>;
  /** GET /next requests received so far (the runtime asking for work). */
  nextRequests(): number;
  /** Requests the protocol does not allow (unknown paths or ids, a second response for one id). */
  readonly violations: string[];
  close(): Promise<void>;
}

interface Pending {
  requestId: string;
  event: string;
  deadline: number;
  invocation: InvocationImpl;
}

class InvocationImpl extends EventEmitter<{ chunk: [Chunk] }> implements Invocation {
  readonly chunks: Chunk[] = [];
  responding = false;
  answered = false;
  readonly result: Promise<InvocationResult>;
  settle!: (r: InvocationResult) => void;

  constructor(readonly requestId: string) {
    super();
    this.result = new Promise((resolve) => (this.settle = resolve));
  }
}

async function readAll(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

function accepted(res: ServerResponse): void {
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end('{"status":"OK"}');
}

export async function startRuntimeApi(): Promise<RuntimeApi> {
  const queue: Pending[] = [];
  const waiting: ServerResponse[] = [];
  const invocations = new Map<string, InvocationImpl>();
  const violations: string[] = [];
  const sockets = new Set<Socket>();
  let nexts = 0;
  let reportInit!: (e: InitError) => void;
  const initError = new Promise<InitError>((resolve) => (reportInit = resolve));

  const deliver = () => {
    while (queue.length > 0 && waiting.length > 0) {
      const res = waiting.shift()!;
      if (res.destroyed) continue;
      const next = queue.shift()!;
      res.writeHead(200, {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': next.requestId,
        'lambda-runtime-deadline-ms': String(next.deadline),
        'lambda-runtime-invoked-function-arn': FUNCTION_ARN,
        'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
      });
      res.end(next.event);
    }
  };

  const onResponse = (req: IncomingMessage, res: ServerResponse, inv: InvocationImpl) => {
    inv.responding = true;
    const chunks = inv.chunks;
    req.on('data', (bytes: Buffer) => {
      const chunk = { bytes, at: performance.now() };
      chunks.push(chunk);
      inv.emit('chunk', chunk);
    });
    req.on('end', () => {
      accepted(res);
      inv.settle({
        kind: 'response',
        headers: req.headers,
        body: Buffer.concat(chunks.map((c) => c.bytes)),
        chunks,
        trailers: { ...req.trailers },
      });
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    if (req.method === 'GET' && path === `${BASE}/invocation/next`) {
      nexts++;
      waiting.push(res);
      deliver();
      return;
    }
    if (req.method === 'POST' && path === `${BASE}/init/error`) {
      const body = await readAll(req);
      accepted(res);
      reportInit({ headers: req.headers, body });
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    const inv = m ? invocations.get(decodeURIComponent(m[1]!)) : undefined;
    if (req.method !== 'POST' || !m || !inv || inv.answered) {
      violations.push(`${req.method} ${path}${inv?.answered ? ' (already answered)' : ''}`);
      await readAll(req).catch(() => undefined);
      res.writeHead(inv?.answered ? 400 : 404, { 'content-type': 'application/json' });
      res.end('{"errorMessage":"not expected","errorType":"InvalidRequest"}');
      return;
    }
    inv.answered = true;
    if (m[2] === 'response') return onResponse(req, res, inv);
    const body = await readAll(req);
    accepted(res);
    inv.settle({ kind: 'error', headers: req.headers, body });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`stand-in failed: ${String(err)}`);
      res.destroy();
    });
  });
  // An event may wait a long time for a test to queue it; the runtime's client has no timeout either.
  server.requestTimeout = 0;
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    invoke(event, options = {}) {
      const requestId = options.requestId ?? randomUUID();
      const invocation = new InvocationImpl(requestId);
      invocations.set(requestId, invocation);
      queue.push({
        requestId,
        event: JSON.stringify(event),
        deadline: Date.now() + (options.deadlineMs ?? 60_000),
        invocation,
      });
      deliver();
      return invocation;
    },
    initError,
    nextRequests: () => nexts,
    violations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
