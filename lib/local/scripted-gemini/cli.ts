/**
 * Runs the scripted Gemini model standalone, for building UIs without a key:
 *   npx tsx lib/local/scripted-gemini/cli.ts [--port 8787] [--delay 40]
 * then start the API with the printed GEMINI_BASE_URL and any GEMINI_API_KEY (the scripted model only
 * checks that one is sent). `npm start -- --scripted-model` does the same in one process.
 */
import { startScriptedGemini } from './server.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

async function main() {
  const gemini = await startScriptedGemini({
    port: arg('port', Number(process.env.PORT ?? 8787)),
    echoDelayMs: arg('delay', 25),
    verbose: true,
  });
  process.stdout.write(
    `Scripted Gemini listening on ${gemini.url}\n` +
      `Start the API against it:\n  GEMINI_BASE_URL=${gemini.url} GEMINI_API_KEY=scripted npm start\n`,
  );
  const stop = () => {
    void gemini.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
