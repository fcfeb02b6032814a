/**
 * Builds what the cold-start and per-request benchmarks run in fresh `node` processes, into .tmp/bench/:
 *   - api/        the real API bundle, built by lib/build/build.ts `buildApi` (the production options);
 *   - api-no-parser/ the same with the SQL statement classifier replaced by a pass-through (bench only);
 *   - runtime.mjs lib/local/lambda-runtime.ts (the `awslambda` global and the in-memory response stream);
 *   - shim.mjs    lib/local/shim-server.ts (serves the built API over HTTP in a child process);
 *   - ref-dynamo/ a reference handler holding only the DynamoDB document client (one Query per request);
 *   - ref-eager/  the same handler, but importing every dependency of the API at start.
 * The references use the same esbuild options as lib/build/build.ts (esm, node22, minify, bundle).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { buildApi } from '../../lib/build/build.js';

export const BENCH_DIR = resolve('.tmp/bench');

export interface Bundles {
  api: string;
  apiMetafile: Metafile;
  /** The same API with the statement classifier replaced by a pass-through: /query without the parser. */
  apiNoParser: string;
  runtime: string;
  /** lib/local/shim-server.ts (the node:http shim), for a child process serving the built API. */
  shim: string;
  refDynamo: string;
  refEager: string;
  /** A handler with no dependencies at all: the floor of the cold-start harness itself. */
  refEmpty: string;
}

const COMMON: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  legalComments: 'none',
  banner: {
    js: "import { createRequire as __semaiaRequire } from 'node:module'; const require = __semaiaRequire(import.meta.url);",
  },
  external: ['pg-native'],
  logLevel: 'warning',
};

/** The reference handler: what GET /chats does at minimum (one Query), written straight on the SDK. */
const REF_HANDLER = `
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const uid = event.headers?.['x-user-uid'] ?? 'anonymous';
  const out = await doc().send(new QueryCommand({
    TableName: process.env.TABLE_NAME,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
    ExpressionAttributeValues: { ':pk': 'USER#' + uid, ':sk': 'CHAT#' },
    ScanIndexForward: false,
    Limit: 50,
  }));
  const body = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/json' } });
  body.write(JSON.stringify({ chats: out.Items ?? [] }));
  body.end();
});
let client;
function doc() {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT }));
  return client;
}
`;

const REF_DYNAMO = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
${REF_HANDLER}`;

// Namespace imports kept alive through a global, so the bundler keeps (and the process evaluates) all of them.
const REF_EAGER = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as ddb from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as kms from '@aws-sdk/client-kms';
import * as ssm from '@aws-sdk/client-ssm';
import * as genai from '@google/genai';
import * as pg from 'pg';
import * as zod from 'zod';
globalThis.__eager = [ddb, kms, ssm, genai, pg, zod];
${REF_HANDLER}`;

const REF_EMPTY = `
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const body = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/json' } });
  body.write('{"ok":true}');
  body.end();
});
`;

/** Bench only: lib/postgres/statement.ts as a pass-through, to measure /query without the parser. */
const withoutParser: Plugin = {
  name: 'without-parser',
  setup(b) {
    b.onLoad({ filter: /lib[\\/]postgres[\\/]statement\.ts$/ }, () => ({
      contents:
        "export const checkStatement = async () => 'select'; export const loadParser = async () => ({});",
      loader: 'js',
    }));
  },
};

let built: Promise<Bundles> | undefined;

async function buildRef(name: string, source: string): Promise<string> {
  const dir = resolve(BENCH_DIR, name);
  mkdirSync(dir, { recursive: true });
  const entry = resolve(BENCH_DIR, `${name}.entry.mjs`);
  writeFileSync(entry, source);
  const outfile = resolve(dir, 'index.mjs');
  // resolveDir: the temp entry must find packages in the project's node_modules.
  await build({ ...COMMON, entryPoints: [entry], outfile, nodePaths: [resolve('node_modules')] });
  return outfile;
}

export function ensureBundles(): Promise<Bundles> {
  built ??= (async () => {
    mkdirSync(BENCH_DIR, { recursive: true });
    const apiDir = resolve(BENCH_DIR, 'api');
    const apiMetafile = await buildApi(apiDir);
    const noParserDir = resolve(BENCH_DIR, 'api-no-parser');
    await buildApi(noParserDir, [withoutParser]);
    const runtime = resolve(BENCH_DIR, 'runtime.mjs');
    await build({
      ...COMMON,
      entryPoints: [resolve('lib/local/lambda-runtime.ts')],
      outfile: runtime,
    });
    const shim = resolve(BENCH_DIR, 'shim.mjs');
    await build({ ...COMMON, entryPoints: [resolve('lib/local/shim-server.ts')], outfile: shim });
    const [refDynamo, refEager, refEmpty] = await Promise.all([
      buildRef('ref-dynamo', REF_DYNAMO),
      buildRef('ref-eager', REF_EAGER),
      buildRef('ref-empty', REF_EMPTY),
    ]);
    return {
      api: resolve(apiDir, 'index.mjs'),
      apiMetafile,
      apiNoParser: resolve(noParserDir, 'index.mjs'),
      runtime,
      shim,
      refDynamo,
      refEager,
      refEmpty,
    };
  })();
  return built;
}

/** Removes .tmp/bench (run.ts calls it once at the end). */
export function removeBundles(): void {
  rmSync(BENCH_DIR, { recursive: true, force: true });
  built = undefined;
}
