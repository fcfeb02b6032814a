/**
 * `npm run invoke -- <event.json>`: runs the handler once on a fake event, in-process, exactly as the
 * Lambda runtime would, and prints the status, the headers, then the body as it streams.
 *   --sample    also start the sample PostgreSQL (for inspect/query events)
 * Uses the same embedded DynamoDB data as `npm start` (DATA_DIR).
 */
import { readFileSync } from 'node:fs';
import { installLambdaGlobals } from './lambda-runtime.js';
import { invokeStreaming } from './invocation.js';
import { startLocalServices } from './services.js';

async function main(): Promise<void> {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: npm run invoke -- tests/events/<event>.json [--sample]\n');
    process.exit(2);
  }
  const event = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  installLambdaGlobals();
  // Local runs may use Node 20; deployments use nodejs22.x, so the SDK's Node-version notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.LOG_LEVEL ??= 'silent';
  const services = await startLocalServices({ sample: process.argv.includes('--sample') });
  const { handler } = await import('../../handlers/api.js');

  const out = process.stdout;
  let failed = false;
  const invocation = invokeStreaming(
    handler,
    event,
    { timeoutMs: Number(process.env.LAMBDA_TIMEOUT_MS) || 900_000 },
    {
      onHead(head) {
        out.write(`status: ${head.statusCode}\n`);
        for (const [k, v] of Object.entries(head.headers)) out.write(`${k}: ${[v].flat().join(', ')}\n`);
        out.write('\n');
      },
      onBody(chunk, done) {
        if (out.write(chunk)) done();
        else out.once('drain', () => done());
      },
      onEnd() {
        out.write('\n');
      },
      onFailure(reason) {
        failed = true;
        process.stderr.write(`\ninvocation failed: ${reason}\n`);
      },
    },
  );
  await invocation.done;
  await services.stop();
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
  process.exit(1);
});
