/**
 * `npm run build`: bundles the API function to dist/api/index.mjs (ESM, minified, code-split so each
 * route's heavy dependencies sit in chunks loaded on first use) and the Lambda@Edge authorizer to dist/edge.
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

async function main(): Promise<void> {
  process.stdout.write('dist/api (API function):\n');
  printOutputs(await buildApi());
  const { buildEdge } = await import('../../edge/build.js');
  const edge = await buildEdge(resolve(root, 'dist/edge'));
  process.stdout.write(
    `dist/edge (viewer-request authorizer): ${(edge.bytes / 1024).toFixed(1)} KB, ${(edge.gzipBytes / 1024).toFixed(1)} KB gzipped${edge.configured ? '' : ' (not configured: refuses every request)'}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(root, 'lib/build/build.ts')) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    process.exit(1);
  });
}
