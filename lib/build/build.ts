/**
 * `npm run build [-- --stage <name>]`: bundles the API function to dist/api/index.mjs (ESM, minified,
 * code-split so each route's heavy dependencies sit in chunks loaded on first use) and the two Lambda@Edge
 * functions to dist/edge (for the stage, default env STAGE or dev: it names the proof key's parameter).
 * Prints the size of every output so growth is visible in review.
 */
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

const root = resolve(process.cwd());

/**
 * libpg-query's Emscripten loader (a CommonJS file) reads its .wasm from `__dirname`, which ESM chunks do not
 * have. In the bundle it reads `__semaiaChunkDir` instead, which the banner of every chunk sets to the
 * chunk's directory (`import.meta.dirname`, Node 20.11+; `import.meta` itself would make esbuild treat the
 * file as ESM and lose its exports), and the build copies the .wasm there (dist/api/chunks), inside what the
 * deploy zip takes.
 */
const PG_QUERY_LOADER = /libpg-query[\\/]wasm[\\/]libpg-query\.js$/;
const pgQueryWasm: Plugin = {
  name: 'libpg-query-wasm',
  setup(b) {
    b.onLoad({ filter: PG_QUERY_LOADER }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('__dirname', '__semaiaChunkDir'),
      loader: 'js',
    }));
  },
};

function copyPgQueryWasm(outdir: string): void {
  const entry = createRequire(join(root, 'package.json')).resolve('libpg-query');
  copyFileSync(join(dirname(entry), 'libpg-query.wasm'), join(outdir, 'chunks', 'libpg-query.wasm'));
}

/** `plugins`: extra esbuild plugins (benchmarks build variants with them). */
export async function buildApi(
  outdir = resolve(root, 'dist/api'),
  plugins: Plugin[] = [],
): Promise<Metafile> {
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
      js: "import { createRequire as __semaiaRequire } from 'node:module'; const require = __semaiaRequire(import.meta.url); const __semaiaChunkDir = import.meta.dirname;",
    },
    // Optional native binding that pg tries to load; never installed.
    external: ['pg-native'],
    // Lambda puts the role's credentials in the environment: skip the SDK's full provider chain.
    alias: { '@aws-sdk/credential-provider-node': resolve(root, 'lib/aws/lambda-credentials.ts') },
    plugins: [pgQueryWasm, ...plugins],
    logLevel: 'warning',
  });
  copyPgQueryWasm(outdir);
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
