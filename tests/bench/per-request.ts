/**
 * Per-request CPU cost of a JSON route, in process: the real handler (handlers/api.ts, GET /health) against
 * the same route written with Hono's AWS Lambda streaming adapter (`streamHandle`). Both get the same
 * Function URL event and write into the same in-memory Lambda response stream (lib/local/lambda-runtime.ts);
 * CPU time is process.cpuUsage() over many sequential requests after a warm-up.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context, StreamifyHandler } from 'aws-lambda';
import { createResponseStream, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { setLogSink } from '../../lib/log.js';
import { check, info, type Row } from './table.js';
import { round } from './stats.js';

const PART = 'per-request';

function healthEvent(): Record<string, unknown> {
  return JSON.parse(readFileSync(resolve('tests/events/function-url-health.json'), 'utf8')) as Record<string, unknown>;
}

const context = {
  awsRequestId: 'bench',
  functionName: 'bench',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** One invocation into a fresh in-memory response stream; resolves when the stream has finished. */
async function invokeOnce(handler: StreamifyHandler, event: unknown, sink: { bytes: number }): Promise<void> {
  const stream = createResponseStream((chunk, done) => {
    sink.bytes += chunk.length;
    done();
  });
  const finished = new Promise<void>((r) => stream.once('finish', r));
  await handler(event, stream as unknown as awslambda.HttpResponseStream, context);
  await finished;
}

/** CPU microseconds per request over `n` requests (after `warmup` unmeasured ones). */
async function cpuPerRequest(handler: StreamifyHandler, n: number, warmup: number): Promise<{ us: number; bytes: number }> {
  const event = healthEvent();
  const sink = { bytes: 0 };
  for (let i = 0; i < warmup; i++) await invokeOnce(handler, event, sink);
  sink.bytes = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await invokeOnce(handler, event, sink);
  const used = process.cpuUsage(before);
  return { us: (used.user + used.system) / n, bytes: sink.bytes / n };
}

async function honoHandler(): Promise<StreamifyHandler> {
  const { Hono } = await import('hono');
  const { streamHandle } = await import('hono/aws-lambda');
  const app = new Hono();
  // The same answer with the same headers as the real route (CORS, no-store, request id).
  app.get('/health', (c) =>
    c.json({ ok: true }, 200, {
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-request-id',
      'cache-control': 'no-store',
      'x-request-id': c.req.header('x-amzn-trace-id') ?? 'bench',
    }),
  );
  return streamHandle(app) as unknown as StreamifyHandler;
}

export async function perRequest(opts: { requests?: number } = {}): Promise<Row[]> {
  const n = opts.requests ?? Number(process.env.BENCH_REQUESTS ?? 20_000);
  const warmup = Math.min(2_000, n);
  installLambdaGlobals();
  const ours = (await import('../../handlers/api.js')).handler as unknown as StreamifyHandler;
  const hono = await honoHandler();

  // Each request of ours formats one structured log line; in Lambda it goes to stdout. Here the line is
  // built (JSON.stringify) but dropped, so its CPU cost is counted without flooding the terminal.
  const previousLevel = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'info';
  const previousSink = setLogSink(() => undefined);
  try {
    // Alternate the two so that neither gets a warmer machine; take each one's best of three rounds.
    const oursRuns: number[] = [];
    const honoRuns: number[] = [];
    const quietRuns: number[] = [];
    for (let round = 0; round < 3; round++) {
      oursRuns.push((await cpuPerRequest(ours, n, warmup)).us);
      honoRuns.push((await cpuPerRequest(hono, n, warmup)).us);
      process.env.LOG_LEVEL = 'silent';
      quietRuns.push((await cpuPerRequest(ours, Math.floor(n / 2), warmup)).us);
      process.env.LOG_LEVEL = 'info';
    }
    const oursUs = Math.min(...oursRuns);
    const honoUs = Math.min(...honoRuns);
    const quietUs = Math.min(...quietRuns);
    const ratio = oursUs / honoUs;
    return [
      info(PART, 'Hono streamHandle, GET /health', `${round(honoUs / 1000, 3)} ms CPU/req`, `best of 3 × ${n} req`),
      info(PART, 'ours, GET /health', `${round(oursUs / 1000, 3)} ms CPU/req`, `incl. 1 JSON log line; ${round(quietUs / 1000, 3)} ms with logs off`),
      check(PART, 'ours / Hono', `${round(ratio, 2)}×`, '≤ 0.25×', ratio <= 0.25),
    ];
  } finally {
    setLogSink(previousSink);
    if (previousLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = previousLevel;
  }
}
