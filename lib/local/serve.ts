/**
 * `npm start`: the API on http://127.0.0.1:8080 through the node:http shim, with embedded DynamoDB and a
 * sample PostgreSQL database, so it runs with no AWS account, database server or API key.
 *   HOST, PORT          where to listen (127.0.0.1, 8080)
 *   DATA_DIR            where local data lives (.data)
 *   SEMAIA_SAMPLE=off   do not start the sample PostgreSQL
 *   --scripted-model    answer chats with the scripted model (no Gemini key needed; for UI work)
 */
import { checkConfig, config, ConfigError } from '../config.js';
import { installLambdaGlobals } from './lambda-runtime.js';
import { createShimServer } from './shim-server.js';
import { startLocalServices } from './services.js';

async function main(): Promise<void> {
  checkConfig(); // before any service starts: a bad PORT must not cost a PostgreSQL start-up
  installLambdaGlobals();
  // Local runs may use Node 20; deployments use nodejs22.x, so the SDK's Node-version notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const say = (m: string) => process.stdout.write(`[semaia] ${m}\n`);
  const services = await startLocalServices({ sample: config.sample === 'on', log: say });

  let stopModel: (() => Promise<void>) | undefined;
  if (process.argv.includes('--scripted-model') || config.scriptedModel) {
    const { startScriptedGemini } = await import('./scripted-gemini/server.js');
    const model = await startScriptedGemini();
    stopModel = model.close;
    process.env.GEMINI_API_KEY = 'scripted-model';
    process.env.GEMINI_BASE_URL = model.url;
    say(`Scripted model (speaks Gemini's HTTP protocol) at ${model.url}`);
  }

  const { handler } = await import('../../handlers/api.js');
  const server = createShimServer({ handler, timeoutMs: config.lambdaTimeoutMs });
  const { host, port } = config;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
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

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await stopModel?.();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  // A configuration mistake is the user's to fix: one line, no stack.
  const text =
    err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err;
  process.stderr.write(`[semaia] failed to start: ${text}\n`);
  process.exit(1);
});
