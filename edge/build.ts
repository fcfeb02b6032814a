/**
 * Builds the two Lambda@Edge bundles, each one CommonJS file (`index.js`, the format every Lambda Node
 * runtime loads without a package.json) with its dependencies inside and its configuration baked in,
 * because Lambda@Edge has no environment variables:
 *   - `viewer/`: the viewer-request authorizer (jose; EDGE_AUTH_*);
 *   - `origin/`: the origin-request function (body hash, user proof; MAX_BODY_BYTES, the proof key's name).
 * Also writes `build-info.json`, which serverless.yml reads: each bundle's hash goes into its function's
 * version (every code or configuration change publishes a new one), and MAX_BODY_BYTES and the proof key's
 * parameter go to the API function, so the edge and the API read the same values.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { parseWith } from '../lib/config/parsers.js';
import { SETTINGS } from '../lib/config/settings.js';
import { resolveEdgeAuthConfig, type EdgeAuthEnv } from './config.js';

/** esbuild target of both bundles; the template's edge runtime must match (tests/deploy checks it). */
export const EDGE_NODE_TARGET = 'node22';

export interface BundleInfo {
  /** Size of index.js in bytes (Lambda@Edge: 1 MB compressed for viewer-request, 50 MB origin-request). */
  bytes: number;
  gzipBytes: number;
  /** Hex SHA-256 of index.js. */
  sha256: string;
}

export interface EdgeBuildResult {
  /** False when the EDGE_AUTH_* variables were missing: the viewer function then refuses every user. */
  configured: boolean;
  stage: string;
  maxBodyBytes: number;
  /** SSM SecureString holding the user-proof HMAC key (created by `npm run deploy`). */
  userProofKeyParam: string;
  viewer: BundleInfo;
  origin: BundleInfo;
}

export interface EdgeBuildOptions {
  /** Build-time configuration (EDGE_AUTH_*, MAX_BODY_BYTES); defaults to process.env. */
  env?: EdgeAuthEnv & { MAX_BODY_BYTES?: string | undefined };
  /** Deployment stage: names the proof key's parameter. Default `dev`. */
  stage?: string;
  /** Repository root (where edge/ lives); defaults to the working directory. */
  root?: string;
}

const AUTH_VARS = [
  'EDGE_AUTH_PROVIDER',
  'EDGE_AUTH_ISSUER',
  'EDGE_AUTH_AUDIENCE',
  'EDGE_AUTH_JWKS_URL',
] as const;

export const userProofKeyParamFor = (stage: string) => `/semaia/${stage}/user-proof-key`;

export async function buildEdge(outdir: string, options: EdgeBuildOptions = {}): Promise<EdgeBuildResult> {
  const env = options.env ?? process.env;
  const stage = options.stage ?? 'dev';
  if (!/^[A-Za-z0-9-]{1,40}$/.test(stage)) throw new Error(`stage "${stage}": letters, digits and - only`);
  const raw = env.MAX_BODY_BYTES?.trim();
  const maxBodyBytes = raw
    ? parseWith('MAX_BODY_BYTES', raw, SETTINGS.maxBodyBytes.parser)
    : (SETTINGS.maxBodyBytes.fallback as number);
  const userProofKeyParam = userProofKeyParamFor(stage);

  const resolved = resolveEdgeAuthConfig(env);
  if (!resolved.ok) {
    console.warn(
      `WARNING: the edge authorizer is not configured (${resolved.problems.join('; ')}). ` +
        'The built function will answer 401 to every request that needs a user. Set EDGE_AUTH_ISSUER and ' +
        'EDGE_AUTH_AUDIENCE (and EDGE_AUTH_JWKS_URL for a generic issuer) before building for deployment.',
    );
  }

  const out = resolve(outdir);
  const root = resolve(options.root ?? process.cwd());
  await rm(out, { recursive: true, force: true });
  const authDefines = Object.fromEntries(
    AUTH_VARS.map((name) => [`process.env.${name}`, JSON.stringify(env[name] ?? '')]),
  );
  const viewer = await bundle(root, join(out, 'viewer'), 'viewer-main.ts', authDefines);
  const origin = await bundle(root, join(out, 'origin'), 'origin-main.ts', {
    'process.env.EDGE_MAX_BODY_BYTES': JSON.stringify(String(maxBodyBytes)),
    'process.env.EDGE_USER_PROOF_KEY_PARAM': JSON.stringify(userProofKeyParam),
  });

  const result: EdgeBuildResult = {
    configured: resolved.ok,
    stage,
    maxBodyBytes,
    userProofKeyParam,
    viewer,
    origin,
  };
  await writeFile(join(out, 'build-info.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}

async function bundle(
  root: string,
  out: string,
  entry: string,
  define: Record<string, string>,
): Promise<BundleInfo> {
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'edge', entry)],
    outfile: join(out, 'index.js'),
    bundle: true,
    platform: 'node',
    target: EDGE_NODE_TARGET,
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    define,
    // Lambda@Edge puts the role's credentials in the environment: skip the SDK's full provider chain.
    alias: { '@aws-sdk/credential-provider-node': join(root, 'lib/aws/lambda-credentials.ts') },
    logLevel: 'warning',
  });
  // The repository's package.json says "type": "module"; this keeps index.js CommonJS wherever it is loaded.
  await writeFile(join(out, 'package.json'), '{ "type": "commonjs" }\n');
  const code = await readFile(join(out, 'index.js'));
  return {
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    sha256: createHash('sha256').update(code).digest('hex'),
  };
}
