import { readFileSync } from 'node:fs';
import { createResponseStream, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
installLambdaGlobals();
process.env.LOG_LEVEL = 'silent';
const { handler } = await import('../../handlers/api.js');
const event = JSON.parse(readFileSync('tests/events/function-url-health.json', 'utf8'));
const ctx = { awsRequestId: 'x', getRemainingTimeInMillis: () => 60000 } as any;
async function once() {
  const s = createResponseStream((c, d) => d());
  const f = new Promise((r) => s.once('finish', r));
  await handler(event, s as any, ctx);
  await f;
}
async function bare() {
  const s = createResponseStream((c, d) => d());
  const f = new Promise((r) => s.once('finish', r));
  const out = awslambda.HttpResponseStream.from(s, { statusCode: 200, headers: { 'content-type': 'application/json' } });
  out.write('{"ok":true}');
  out.end();
  await f;
}
for (const [name, fn] of [['ours', once], ['bare', bare]] as const) {
  for (let i = 0; i < 2000; i++) await fn();
  const b = process.cpuUsage();
  for (let i = 0; i < 10000; i++) await fn();
  const u = process.cpuUsage(b);
  console.log(name, ((u.user + u.system) / 10000).toFixed(1), 'us');
}
