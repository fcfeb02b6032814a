/**
 * `npm run publish-spa` end to end against stand-ins: s3rver (an S3-compatible server from npm) for the
 * bucket, and tests/deploy/aws-stand-in.ts for CloudFormation (the stack's outputs) and CloudFront (the
 * invalidation), all reached by the real SDK v3 clients through AWS_ENDPOINT_URL_* overrides. An old build
 * is in the bucket; the new one is published; then: per-file Cache-Control and Content-Type, the old
 * build's files gone, and the order that keeps the site whole (assets, then index.html, then the
 * invalidation completed, and only then the deletions).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import S3rver from 's3rver';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { publishFromCli } from '../../lib/build/publish-spa.js';
import { IMMUTABLE, isHashedAsset, REVALIDATE } from '../../lib/build/spa-files.js';
import { startAwsStandIn, type AwsStandIn } from './aws-stand-in.js';

const BUCKET = 'semaia-test-spabucket-1abc';
let work: string;
let s3rver: S3rver;
let s3: S3Client;
let aws: AwsStandIn;
const timeline: string[] = [];
const savedEnv = { ...process.env };

const NEW_BUILD: Record<string, string> = {
  'index.html': '<!doctype html><script src="/assets/app-b2c3d4e5f6.js"></script>',
  'assets/app-b2c3d4e5f6.js': 'console.log("new")',
  'assets/style-9f8e7d6c.css': 'body{}',
  'favicon.ico': 'ico',
  'logo-standalone.svg': '<svg/>',
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'semaia-publish-'));
  s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(work, 's3'),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  // s3rver is a Koa app: a first middleware records every write, in order, before s3rver handles it.
  (s3rver as unknown as { middleware: unknown[] }).middleware.unshift(
    async (ctx: { method: string; path: string; querystring: string }, next: () => Promise<void>) => {
      const key = decodeURIComponent(ctx.path.split('/').slice(2).join('/'));
      if (ctx.method === 'PUT' && key) timeline.push(`s3:PutObject ${key}`);
      if (ctx.method === 'POST' && /(^|&)delete(=|&|$)/.test(ctx.querystring))
        timeline.push('s3:DeleteObjects');
      await next();
    },
  );
  const { port } = (await s3rver.run()) as unknown as { port: number };
  aws = await startAwsStandIn({
    timeline,
    stacks: { 'semaia-test': { SpaBucketName: BUCKET, DistributionId: 'E2EXAMPLE' } },
    pollsUntilComplete: 2,
  });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_ENDPOINT_URL_CLOUDFRONT: aws.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: aws.url,
  });
  s3 = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });

  // The previous build: an index.html naming an asset that the new build no longer has.
  const old: Record<string, string> = {
    'index.html': '<!doctype html><script src="/assets/app-a1b2c3d4e5.js"></script>',
    'assets/app-a1b2c3d4e5.js': 'console.log("old")',
    'robots.txt': 'User-agent: *',
    'favicon.ico': 'old ico',
  };
  for (const [Key, Body] of Object.entries(old)) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  }
  for (const [key, body] of Object.entries(NEW_BUILD)) {
    const path = join(work, 'build', key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
  await writeFile(join(work, 'build', '.DS_Store'), 'x');
  timeline.length = 0;
}, 60_000);

afterAll(async () => {
  process.env = savedEnv;
  s3?.destroy();
  await aws?.close();
  await s3rver?.close();
  await rm(work, { recursive: true, force: true });
});

it('publishes with per-file caching, invalidates the unhashed files, then deletes the old build', async () => {
  const logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await publishFromCli([join(work, 'build'), '--stage', 'test', '--poll-seconds', '1'], {});
  } finally {
    logSpy.mockRestore();
  }

  // Each file with its caching and type.
  const expected: Record<string, [string, RegExp]> = {
    'index.html': [REVALIDATE, /^text\/html/],
    'assets/app-b2c3d4e5f6.js': [IMMUTABLE, /javascript/],
    'assets/style-9f8e7d6c.css': [IMMUTABLE, /^text\/css/],
    'favicon.ico': [REVALIDATE, /icon/],
    'logo-standalone.svg': [REVALIDATE, /^image\/svg\+xml/],
  };
  for (const [key, [cacheControl, type]] of Object.entries(expected)) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect({ key, cacheControl: head.CacheControl }).toEqual({ key, cacheControl });
    expect(head.ContentType).toMatch(type);
  }
  const index = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'index.html' }));
  expect(await index.Body!.transformToString()).toBe(NEW_BUILD['index.html']);

  // The old build's files are gone; dot-files were never uploaded.
  for (const gone of ['assets/app-a1b2c3d4e5.js', 'robots.txt', '.DS_Store']) {
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: gone }))).rejects.toMatchObject({
      name: 'NotFound',
    });
  }

  // Only the unhashed paths (uploaded or deleted) were invalidated, on the stack's distribution.
  expect(aws.invalidations).toHaveLength(1);
  expect(aws.invalidations[0]!.distributionId).toBe('E2EXAMPLE');
  expect(aws.invalidations[0]!.paths).toEqual([
    '/',
    '/favicon.ico',
    '/index.html',
    '/logo-standalone.svg',
    '/robots.txt',
  ]);

  // The order that never serves an index.html whose assets are missing.
  const at = (entry: string) => timeline.indexOf(entry);
  const puts = timeline.filter((e) => e.startsWith('s3:PutObject'));
  expect(puts.sort()).toEqual(
    Object.keys(NEW_BUILD)
      .map((k) => `s3:PutObject ${k}`)
      .sort(),
  );
  const created = timeline.findIndex((e) => e.startsWith('cloudfront:CreateInvalidation'));
  const completed = at('cloudfront:GetInvalidation Completed');
  const lastPut = timeline.findLastIndex((e) => e.startsWith('s3:PutObject'));
  expect(timeline[lastPut]).toBe('s3:PutObject index.html');
  expect(at('s3:PutObject assets/app-b2c3d4e5f6.js')).toBeLessThan(at('s3:PutObject index.html'));
  expect(lastPut).toBeLessThan(created);
  expect(timeline.slice(created)).toContain('cloudfront:GetInvalidation InProgress'); // it did wait
  expect(completed).toBeGreaterThan(created);
  expect(timeline.slice(completed + 1)).toEqual(['s3:DeleteObjects']); // deletions last
  expect(timeline[0]).toBe('cloudformation:DescribeStacks semaia-test');
}, 60_000);

it('refuses a directory without index.html before touching the bucket', async () => {
  await mkdir(join(work, 'empty'), { recursive: true });
  const before = timeline.length;
  await expect(
    publishFromCli([join(work, 'empty'), '--bucket', BUCKET, '--distribution', 'E2EXAMPLE'], {}),
  ).rejects.toThrow(/no index.html/);
  expect(timeline.length).toBe(before);
});

describe('isHashedAsset', () => {
  it.each([
    ['assets/index-4f3a9b2c.js', true], // Vite/Rollup with a digit in the hash
    ['static/js/main.8c3e2f1a.js', true], // Create React App
    ['static/js/787.8c3e2f1a.chunk.js', true],
    ['main.5d41402abc4b2a76.js', true], // Angular
    ['app-3f2a9c1b.js.map', true],
    ['fonts/inter-a1b2c3d4e5.woff2', true],
    ['index.html', false],
    ['favicon.ico', false],
    ['robots.txt', false],
    ['manifest.json', false],
    ['site.webmanifest', false],
    ['logo-standalone.svg', false], // a word, not a hash
    ['android-chrome-192x192.png', false],
    ['release-20240101.js', false], // a date
    ['assets/index-DiwrgTda.js', false], // Vite hash without a digit: revalidated (safe, slightly slower)
  ])('%s → %s', (key, hashed) => {
    expect(isHashedAsset(key)).toBe(hashed);
  });
});

it("keeps the publisher's dependencies out of the Lambda bundle", async () => {
  const { buildApi } = await import('../../lib/build/build.js');
  const metafile = await buildApi(join(work, 'api-bundle'));
  const inputs = Object.keys(metafile.inputs);
  expect(inputs.some((i) => i.includes('@aws-sdk/client-dynamodb'))).toBe(true); // the check can see packages
  for (const devOnly of [
    'client-s3',
    'client-cloudfront',
    'client-cloudformation',
    's3rver',
    'mime-types',
    'spa-files',
  ]) {
    expect(inputs.filter((i) => i.includes(devOnly))).toEqual([]);
  }
}, 120_000);
