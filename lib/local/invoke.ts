/**
 * `npm run invoke -- <event.json> [--sample] [--scripted-model]`: runs the handler once on a fake event,
 * in-process, exactly as the Lambda runtime would, and prints the status, the headers, then the body as it
 * streams.
 *   --sample          also start the sample PostgreSQL (for inspect/query events)
 *   --scripted-model  answer chats with the scripted model (no Gemini key needed)
 * Uses the same embedded DynamoDB data as `npm start` (DATA_DIR), or a running npm start's services.
 */
import { readFileSync } from 'node:fs';
import { checkConfig, config, ConfigError } from '../config.js';
import { installLambdaGlobals } from './lambda-runtime.js';
import { invokeStreaming } from './invocation.js';
import { startScriptedModelIfAsked } from './scripted-model.js';
import { startLocalServices } from './services.js';

const USAGE = 'usage: npm run invoke -- tests/events/<event>.json [--sample] [--scripted-model]';

class UsageError extends Error {}

function readEvent(file: string | undefined): unknown {
  if (!file) throw new UsageError(USAGE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `no event file at ${file} (the examples are in tests/events/)\n${USAGE}`
        : `cannot read ${file}: ${code ?? String(err)}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file} is not JSON: an event is one JSON object, like those in tests/events/`);
  }
}

async function main(): Promise<void> {
  const event = readEvent(process.argv.slice(2).find((a) => !a.startsWith('--')));
  checkConfig();
  installLambdaGlobals();
  // Local runs may use Node 20; deployments use nodejs22.x, so the SDK's Node-version notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.LOG_LEVEL ??= 'silent';
  const services = await startLocalServices({ sample: process.argv.includes('--sample') });
  const model = await startScriptedModelIfAsked(process.argv);
  const { handler } = await import('../../handlers/api.js');

  const out = process.stdout;
  let failed = false;
  const invocation = invokeStreaming(
    handler,
    event,
    { timeoutMs: config.lambdaTimeoutMs },
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
  await model?.close();
  await services.stop();
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  const friendly = err instanceof UsageError || err instanceof ConfigError;
  process.stderr.write(
    `${friendly ? err.message : err instanceof Error ? (err.stack ?? err.message) : err}\n`,
  );
  process.exit(friendly ? 2 : 1);
});
