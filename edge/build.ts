/**
 * Builds the Lambda@Edge bundle: one CommonJS file (`index.js`, the format every Lambda Node runtime
 * loads without a package.json) with jose inside and the EDGE_AUTH_* configuration baked in, because
 * Lambda@Edge has no environment variables. Also writes `build-info.json`, whose hash serverless.yml
 * puts into the edge function's version so that every code or configuration change publishes a new one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { resolveEdgeAuthConfig, type EdgeAuthEnv } from './config.js';

export interface EdgeBuildResult {
  /** Size of index.js in bytes (the limit for viewer-request is 1 MB compressed). */
  bytes: number;
  gzipBytes: number;
  /** Hex SHA-256 of index.js. */
  sha256: string;
  /** False when the EDGE_AUTH_* variables were missing: the built function then refuses every request. */
  configured: boolean;
}

export interface EdgeBuildOptions {
  /** Build-time configuration; defaults to process.env. */
  env?: EdgeAuthEnv;
  /** Repository root (where edge/index.ts lives); defaults to the working directory. */
  root?: string;
}

const CONFIG_VARS = [
  'EDGE_AUTH_PROVIDER',
  'EDGE_AUTH_ISSUER',
  'EDGE_AUTH_AUDIENCE',
  'EDGE_AUTH_JWKS_URL',
] as const;

export async function buildEdge(outdir: string, options: EdgeBuildOptions = {}): Promise<EdgeBuildResult> {
  const env: EdgeAuthEnv = options.env ?? process.env;
  const resolved = resolveEdgeAuthConfig(env);
  if (!resolved.ok) {
    console.warn(
      `WARNING: the edge authorizer is not configured (${resolved.problems.join('; ')}). ` +
        'The built function will answer 401 to every request. Set EDGE_AUTH_ISSUER and EDGE_AUTH_AUDIENCE ' +
        '(and EDGE_AUTH_JWKS_URL for a generic issuer) before building for deployment.',
    );
  }

  const out = resolve(outdir);
  await mkdir(out, { recursive: true });
  const define = Object.fromEntries(
    CONFIG_VARS.map((name) => [`process.env.${name}`, JSON.stringify(env[name] ?? '')]),
  );
  await build({
    entryPoints: [join(resolve(options.root ?? process.cwd()), 'edge', 'index.ts')],
    outfile: join(out, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    define,
    logLevel: 'warning',
  });
  // The repository's package.json says "type": "module"; this keeps index.js CommonJS wherever it is loaded.
  await writeFile(join(out, 'package.json'), '{ "type": "commonjs" }\n');

  const code = await readFile(join(out, 'index.js'));
  const result: EdgeBuildResult = {
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    sha256: createHash('sha256').update(code).digest('hex'),
    configured: resolved.ok,
  };
  await writeFile(join(out, 'build-info.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
