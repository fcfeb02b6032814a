/**
 * `npm run build [-- --stage <name>]`: bundles the API function to dist/api/index.mjs (ESM, minified,
 * code-split so each route's heavy dependencies sit in chunks loaded on first use) and the two Lambda@Edge
 * functions to dist/edge (for the stage, default env STAGE or dev: it names the proof key's parameter).
 * Prints the size of every output so growth is visible in review.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

const root = resolve(process.cwd());

export async function buildApi(outdir = resolve(root, 'dist/api')): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: resolve(root, 'handlers/api.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // ESM builds first: a CommonJS package behind a dynamic import() becomes a chunk whose only export is
    // `default`, so `(await import('@aws-sdk/client-kms')).KMSClient` was undefined in the bundle (the
    // runtime lane found it: jest's CommonJS transform hides it).
    mainFields: ['module', 'main'],
    target: 'node22',
    minify: true,
    sourcemap: 'external',
    legalComments: 'none',
    metafile: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __semaiaRequire } from 'node:module'; const require = __semaiaRequire(import.meta.url);",
    },
    // Optional native binding that pg tries to load; never installed.
    external: ['pg-native'],
    // Lambda puts the role's credentials in the environment: skip the SDK's full provider chain.
    alias: { '@aws-sdk/credential-provider-node': resolve(root, 'lib/aws/lambda-credentials.ts') },
    logLevel: 'warning',
  });
  return result.metafile;
}

function printOutputs(metafile: Metafile): void {
  const rows = Object.entries(metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, out]) => [file.replace(`${root}/`, ''), out.bytes] as const)
    .sort((a, b) => b[1] - a[1]);
  for (const [file, bytes] of rows)
    process.stdout.write(`  ${(bytes / 1024).toFixed(1).padStart(8)} KB  ${file}\n`);
}

async function main(argv: string[]): Promise<void> {
  const stageAt = argv.indexOf('--stage');
  const stage = stageAt >= 0 ? argv[stageAt + 1] : process.env.STAGE || 'dev';
  process.stdout.write('dist/api (API function):\n');
  printOutputs(await buildApi());
  const { buildEdge } = await import('../../edge/build.js');
  const edge = await buildEdge(resolve(root, 'dist/edge'), { stage });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `dist/edge/viewer (viewer-request authorizer): ${kb(edge.viewer.bytes)}, ${kb(edge.viewer.gzipBytes)} gzipped` +
      `${edge.configured ? '' : ' (not configured: refuses every request that needs a user)'}\n` +
      `dist/edge/origin (origin-request: body hash, user proof): ${kb(edge.origin.bytes)}, ${kb(edge.origin.gzipBytes)} gzipped\n` +
      `stage ${edge.stage}: MAX_BODY_BYTES ${edge.maxBodyBytes}, proof key ${edge.userProofKeyParam}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(root, 'lib/build/build.ts')) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    process.exit(1);
  });
}
