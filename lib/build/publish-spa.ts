/**
 * `npm run publish-spa -- <dir> [--stage <name>] [--bucket <name> --distribution <id>] [--poll-seconds <n>]`:
 * publishes a built
 * SPA to the stack's bucket without a moment where CloudFront serves an index.html whose assets are gone:
 *   1. hashed assets are uploaded (`immutable`, a year), then the unhashed files (`no-cache`), index.html last;
 *   2. a CloudFront invalidation of the unhashed paths is created and waited for: from then on every edge
 *      serves the new index.html;
 *   3. only then are the objects the new build no longer has deleted.
 * The bucket and distribution come from the stack's outputs (`semaia-<stage>`) unless given. Uses the AWS
 * SDK v3 clients (dev dependencies: never in the Lambda bundle) with the usual credential chain.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { invalidationPaths, isHashedAsset, listSpaFiles, uploadOrder, type SpaFile } from './spa-files.js';
import { EDGE_STACK_REGION } from '../../edge/config.js';
import { stackOutputs } from './stack-outputs.js';

export interface PublishOptions {
  dir: string;
  bucket: string;
  distributionId: string;
  s3: S3Client;
  cloudFront: CloudFrontClient;
  /** Seconds between invalidation status checks (CloudFront's own waiter uses 20). */
  pollSeconds?: number;
  /** Give up waiting for the invalidation after this long. */
  maxWaitSeconds?: number;
  concurrency?: number;
  log?: (line: string) => void;
}

export interface PublishResult {
  uploaded: string[];
  deleted: string[];
  invalidationId: string;
  invalidated: string[];
}

export async function publishSpa(options: PublishOptions): Promise<PublishResult> {
  const { bucket, s3, cloudFront } = options;
  const log = options.log ?? (() => undefined);
  const s3mod = await import('@aws-sdk/client-s3');
  const cfmod = await import('@aws-sdk/client-cloudfront');

  const files = await listSpaFiles(resolve(options.dir));
  if (!files.some((f) => f.key === 'index.html')) throw new Error(`${options.dir} has no index.html`);
  const before = await listKeys(s3, bucket);

  const ordered = uploadOrder(files);
  const put = (f: SpaFile) =>
    readFile(f.path).then((body) =>
      s3.send(
        new s3mod.PutObjectCommand({
          Bucket: bucket,
          Key: f.key,
          Body: body,
          CacheControl: f.cacheControl,
          ContentType: f.contentType,
        }),
      ),
    );
  await inBatches(
    ordered.filter((f) => f.hashed),
    options.concurrency ?? 8,
    put,
  );
  await inBatches(
    ordered.filter((f) => !f.hashed && f.key !== 'index.html'),
    options.concurrency ?? 8,
    put,
  );
  await put(ordered.find((f) => f.key === 'index.html')!);
  log(`uploaded ${files.length} files to s3://${bucket} (${files.filter((f) => f.hashed).length} hashed)`);

  const keep = new Set(files.map((f) => f.key));
  const stale = [...before].filter((k) => !keep.has(k)).sort();
  const paths = invalidationPaths([
    ...files.filter((f) => !f.hashed).map((f) => f.key),
    ...stale.filter((k) => !isHashedAsset(k)),
  ]);
  const created = await cloudFront.send(
    new cfmod.CreateInvalidationCommand({
      DistributionId: options.distributionId,
      InvalidationBatch: {
        CallerReference: `publish-spa-${Date.now()}`,
        Paths: { Quantity: paths.length, Items: paths },
      },
    }),
  );
  const invalidationId = created.Invalidation?.Id;
  if (!invalidationId) throw new Error('CloudFront returned no invalidation id');
  log(`invalidating ${paths.join(' ')} (${invalidationId}); waiting for it to complete`);
  const waited = await cfmod.waitUntilInvalidationCompleted(
    {
      client: cloudFront,
      minDelay: options.pollSeconds ?? 20,
      maxDelay: Math.max(options.pollSeconds ?? 20, 60),
      maxWaitTime: options.maxWaitSeconds ?? 1800,
    },
    { DistributionId: options.distributionId, Id: invalidationId },
  );
  if (waited.state !== 'SUCCESS')
    throw new Error(`invalidation ${invalidationId} did not complete: ${waited.state}`);

  // The new index.html is what every edge serves now: the old build's files can go.
  for (let i = 0; i < stale.length; i += 1000) {
    const out = await s3.send(
      new s3mod.DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
    if (out.Errors?.length) throw new Error(`could not delete ${out.Errors.map((e) => e.Key).join(', ')}`);
  }
  log(`deleted ${stale.length} files of the previous build`);
  return { uploaded: ordered.map((f) => f.key), deleted: stale, invalidationId, invalidated: paths };
}

async function listKeys(s3: S3Client, bucket: string): Promise<Set<string>> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.add(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

interface CliArgs {
  dir: string;
  stage: string;
  bucket?: string;
  distributionId?: string;
  pollSeconds?: number;
}

export function parsePublishArgs(argv: string[], env: NodeJS.ProcessEnv): CliArgs {
  const args: Partial<CliArgs> = { stage: env.STAGE || 'dev' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--stage' && argv[i + 1]) args.stage = argv[++i];
    else if (a === '--bucket' && argv[i + 1]) args.bucket = argv[++i];
    else if (a === '--distribution' && argv[i + 1]) args.distributionId = argv[++i];
    else if (a === '--poll-seconds' && argv[i + 1]) args.pollSeconds = Number(argv[++i]);
    else if (!a.startsWith('--') && !args.dir) args.dir = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.dir)
    throw new Error(
      'usage: npm run publish-spa -- <dir> [--stage <name>] [--bucket <b> --distribution <id>]',
    );
  return args as CliArgs;
}

/** The CLI, also run by `npm run deploy` when SPA_DIR is set. */
export async function publishFromCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const args = parsePublishArgs(argv, env);
  const region = EDGE_STACK_REGION; // the stack's region (Lambda@Edge)
  let { bucket, distributionId } = args;
  if (!bucket || !distributionId) {
    const outputs = await stackOutputs(`semaia-${args.stage}`, region);
    bucket ??= outputs.SpaBucketName;
    distributionId ??= outputs.DistributionId;
    if (!bucket || !distributionId)
      throw new Error(`stack semaia-${args.stage} has no SpaBucketName/DistributionId output`);
  }
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { CloudFrontClient } = await import('@aws-sdk/client-cloudfront');
  await publishSpa({
    dir: args.dir,
    bucket,
    distributionId,
    s3: new S3Client({ region }),
    cloudFront: new CloudFrontClient({ region }),
    pollSeconds: args.pollSeconds,
    log: (line) => console.log(line),
  });
}

if (/[\\/]lib[\\/]build[\\/]publish-spa\.ts$/.test(process.argv[1] ?? '')) {
  publishFromCli(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
