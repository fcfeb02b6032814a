// Per-request CPU cost, in a plain `node` process on the built bundle (no tsx loader in the way):
// the API's handler vs the same route on Hono's streamHandle vs a bare handler that writes the same reply
// (the floor set by the in-memory Lambda stream itself). Each gets the same Function URL event and a fresh
// in-memory response stream (lib/local/lambda-runtime.ts, bundled) per request; rounds alternate.
// Usage: node per-request-child.mjs <runtime.mjs> <api index.mjs> <event.json> <requests> <rounds>
// Prints one JSON line on stderr: {ours: [µs...], hono: [µs...], bare: [µs...]}.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [runtimeFile, apiFile, eventFile, nText, roundsText] = process.argv.slice(2);
const n = Number(nText);
const rounds = Number(roundsText);
const { createResponseStream, installLambdaGlobals } = await import(pathToFileURL(runtimeFile).href);
installLambdaGlobals();
const { handler: ours } = await import(pathToFileURL(apiFile).href);
const { Hono } = await import('hono');
const { streamHandle } = await import('hono/aws-lambda');

const app = new Hono();
// The same reply with the same headers as the API's route (CORS, no-store, request id).
app.get('/health', (c) =>
  c.json({ ok: true }, 200, {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'x-request-id',
    'cache-control': 'no-store',
    'x-request-id': c.req.header('x-amzn-trace-id') ?? 'bench',
  }),
);
const hono = streamHandle(app);

const { awslambda } = globalThis;
const bare = awslambda.streamifyResponse(async (_event, stream) => {
  const out = awslambda.HttpResponseStream.from(stream, {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
  out.write('{"ok":true}');
  out.end();
});

const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60_000 };
let bytes = 0;

async function once(handler) {
  const stream = createResponseStream((chunk, done) => {
    bytes += chunk.length;
    done();
  });
  const finished = new Promise((resolve) => stream.once('finish', resolve));
  await handler(event, stream, context);
  await finished;
}

async function cpuPerRequest(handler) {
  for (let i = 0; i < Math.min(2_000, n); i++) await once(handler);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await once(handler);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const result = { ours: [], hono: [], bare: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, handler] of [
    ['ours', ours],
    ['hono', hono],
    ['bare', bare],
  ]) {
    result[name].push(await cpuPerRequest(handler));
  }
}
if (bytes === 0) throw new Error('no bytes written');
process.stderr.write(JSON.stringify(result) + '\n');
process.exit(0);
