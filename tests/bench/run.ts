/**
 * `npm run bench`: every benchmark part in turn, then one table of figures with targets and PASS/MISS.
 * `npm run bench -- cold-start latency` runs only the named parts. Figures are printed, never asserted:
 * the exit code is 0 even when a target is missed (a bench that fails would make CI timing-flaky).
 */
import { cpus } from 'node:os';
import { renderTable, summary, type Row } from './table.js';

type Part = () => Promise<Row[]>;

const PARTS: Record<string, Part> = {
  'cold-start': async () => (await import('./cold-start.js')).coldStart(),
  'per-request': async () => (await import('./per-request.js')).perRequest(),
  latency: async () => (await import('./latency.js')).latency(),
  soak: async () => (await import('./soak.js')).soak(),
  scale: async () => (await import('./scale.js')).scale(),
  sql: async () => (await import('./sql.js')).sql(),
  results: async () => (await import('./results.js')).results(),
  resume: async () => (await import('./resume.js')).resume(),
  'schema-context': async () => (await import('./schema-context.js')).schemaContext(),
  limits: async () => (await import('./limits.js')).limits(),
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((a) => !(a in PARTS));
  if (unknown.length) {
    process.stderr.write(`unknown part(s): ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}\n`);
    process.exit(2);
  }
  const names = asked.length ? asked : Object.keys(PARTS);
  process.env.LOG_LEVEL ??= 'silent';
  // Runs on Node 20 here (deploys on 22+): the AWS SDK's Node-version notice would clutter the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const rows: Row[] = [];
  const started = Date.now();
  for (const name of names) {
    process.stderr.write(`[bench] ${name}…\n`);
    const t = Date.now();
    try {
      rows.push(...(await PARTS[name]!()));
    } catch (err) {
      process.stderr.write(
        `[bench] ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`,
      );
      rows.push({
        part: name,
        name: 'failed to run',
        value: '—',
        target: '',
        verdict: 'MISS',
        note: String(err).slice(0, 80),
      });
    }
    process.stderr.write(`[bench] ${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }

  const { stopBenchServices } = await import('./services.js');
  await stopBenchServices();
  (await import('./bundles.js')).removeBundles();

  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, node ${process.version}, ${process.platform}`;
  process.stdout.write(`\nSemaia benchmarks — ${machine}\n`);
  process.stdout.write(
    `${renderTable(rows)}\n${summary(rows)}; total ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

// A child that outlives a failed part must not keep the process (and CI) alive.
main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    process.exit(1);
  });
