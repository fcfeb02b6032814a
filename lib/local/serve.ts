/**
 * `npm start`: the API on http://127.0.0.1:8080 through the node:http shim, with embedded DynamoDB and a
 * sample PostgreSQL database, so it runs with no AWS account, database server or API key.
 *   HOST, PORT          where to listen (127.0.0.1, 8080)
 *   DATA_DIR            where local data lives (.data)
 *   SEMAIA_SAMPLE=off   do not start the sample PostgreSQL
 *   --scripted-model    answer chats with the scripted model (no Gemini key needed; for UI work)
 */
import type { AddressInfo } from 'node:net';
import { checkConfig, config, ConfigError } from '../config.js';
import { AppError } from '../errors.js';
import { installLambdaGlobals } from './lambda-runtime.js';
import { createShimServer } from './shim-server.js';
import { startScriptedModelIfAsked } from './scripted-model.js';
import { DataDirInUse, startLocalServices } from './services.js';

/** How long replies stopped at Ctrl-C get to store what they have. */
const STORE_MS = 5_000;

async function main(): Promise<void> {
  checkConfig(); // before any service starts: a bad PORT must not cost a PostgreSQL start-up
  installLambdaGlobals();
  // Local runs may use Node 20; deployments use nodejs22.x, so the SDK's Node-version notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const say = (m: string) => process.stdout.write(`[semaia] ${m}\n`);
  const services = await startLocalServices({ sample: config.sample === 'on', exclusive: true, log: say });

  const model = await startScriptedModelIfAsked(process.argv);
  if (model) say(`Scripted model (speaks Gemini's HTTP protocol) at ${model.url}`);

  const { handler } = await import('../../handlers/api.js');
  const shutdown = new AbortController();
  const server = createShimServer({ handler, timeoutMs: config.lambdaTimeoutMs, shutdown: shutdown.signal });
  const { host, port } = config;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port; // PORT=0 picks a free one
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  say(
    `API listening on ${url}  (model: ${config.geminiApiKey ? 'configured' : 'not configured — set GEMINI_API_KEY or use --scripted-model'})`,
  );
  say('Try:');
  say(`  curl -s ${url}/api/health`);
  say(`  curl -s -H 'x-user-uid: local-user' ${url}/api/connectors`);
  say(`  curl -s -H 'x-user-uid: local-user' ${url}/api/connectors/sample/inspect`);
  say(
    `  curl -N -H 'x-user-uid: local-user' -H 'content-type: application/json' -d '{"message":"How many customers are there?"}' ${url}/api/connectors/sample/chats`,
  );

  // Ctrl-C: stop accepting, let replies in flight finish for up to 10 s, then tell the rest to stop (each
  // stores what it has as incomplete and ends its stream with error Shutdown), then stop the services.
  let stopping = false;
  const stop = async () => {
    if (stopping) return void say('already stopping: press Ctrl-C again later, or kill the process');
    stopping = true;
    const closed = new Promise((resolve) => server.close(resolve));
    if (server.inFlight > 0) {
      const grace = config.shutdownGraceMs;
      say(`stopping: waiting up to ${grace / 1000} s for ${server.inFlight} request(s) in flight…`);
      if (!(await server.whenIdle(grace))) {
        say(`stopping ${server.inFlight} request(s) still running (their replies are stored as incomplete)`);
        shutdown.abort(new AppError('Shutdown', 'The server is stopping'));
        await server.whenIdle(STORE_MS);
      }
    } else say('stopping…');
    server.closeAllConnections();
    await closed;
    await model?.close();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  // A configuration mistake or a busy DATA_DIR is the user's to fix: one line, no stack.
  const friendly = err instanceof ConfigError || err instanceof DataDirInUse;
  const text = friendly ? err.message : err instanceof Error ? (err.stack ?? err.message) : err;
  process.stderr.write(`[semaia] failed to start: ${text}\n`);
  process.exit(1);
});
