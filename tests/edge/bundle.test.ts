/**
 * The built Lambda@Edge bundles, loaded by a plain Node process outside the repository (as Lambda would:
 * no node_modules, no TypeScript): each exports `handler` and carries the configuration baked in at build
 * time; the viewer bundle verifies a real token against the JWKS served here, the origin bundle reads the
 * proof key through the real SSM client from a stand-in and signs the user.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { buildEdge, type EdgeBuildResult } from '../../edge/build.js';
import { verifyUserProof } from '../../lib/http/user-proof.js';
import { startSsmStandIn, type SsmStandIn } from '../support/ssm-stand-in.js';
import {
  FIREBASE_ISSUER,
  FIREBASE_PROJECT,
  firebaseClaims,
  makeKey,
  signToken,
  originRequest,
  SPOOFED_HEADERS,
  startJwksServer,
  viewerRequest,
  type JwksServer,
  type TestKey,
} from './helpers.js';

const run = promisify(execFile);

let dir: string;
let jwks: JwksServer;
let key: TestKey;
let configured: EdgeBuildResult;
let warnSpy: jest.SpyInstance;
let ssm: SsmStandIn;
const proofKey = randomBytes(32);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'semaia-edge-'));
  key = await makeKey('k1');
  jwks = await startJwksServer([key.jwk]);
  warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  ssm = await startSsmStandIn({ '/semaia/qa/user-proof-key': proofKey.toString('base64url') });
  configured = await buildEdge(join(dir, 'configured'), {
    env: {
      EDGE_AUTH_ISSUER: FIREBASE_ISSUER,
      EDGE_AUTH_AUDIENCE: FIREBASE_PROJECT,
      EDGE_AUTH_JWKS_URL: jwks.url,
      MAX_BODY_BYTES: '300000',
    },
    stage: 'qa',
  });
  // Runs an event through a bundle in a separate Node process and prints the result as JSON.
  await writeFile(
    join(dir, 'run.cjs'),
    `const mod = require(process.argv[2]);
     let input = '';
     process.stdin.on('data', (c) => (input += c));
     process.stdin.on('end', async () => {
       const result = await mod.handler(JSON.parse(input));
       process.stdout.write(JSON.stringify({ exports: Object.keys(mod), result }));
     });`,
  );
}, 60_000);

afterAll(async () => {
  warnSpy.mockRestore();
  await jwks.close();
  await ssm.close();
  await rm(dir, { recursive: true, force: true });
});

async function runBundle(bundleDir: string, event: unknown, env: Record<string, string> = {}) {
  const child = run(process.execPath, [join(dir, 'run.cjs'), join(bundleDir, 'index.js')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 15_000,
  });
  child.child.stdin!.end(JSON.stringify(event));
  const { stdout } = await child;
  // The bundle logs refusals as JSON lines before the runner's result line.
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { exports: string[]; result: any };
}

it('builds two CommonJS files within the Lambda@Edge size limits, with their settings baked in', async () => {
  expect(configured.configured).toBe(true);
  // viewer-request: 1 MB compressed; origin-request: 50 MB.
  expect(configured.viewer.gzipBytes).toBeLessThan(1024 * 1024);
  expect(configured.origin.gzipBytes).toBeLessThan(50 * 1024 * 1024);
  expect(configured).toMatchObject({
    stage: 'qa',
    maxBodyBytes: 300_000,
    userProofKeyParam: '/semaia/qa/user-proof-key',
  });
  const info = JSON.parse(
    await readFile(join(dir, 'configured', 'build-info.json'), 'utf8'),
  ) as EdgeBuildResult;
  expect(info).toEqual(configured);
  for (const part of ['viewer', 'origin']) {
    expect(JSON.parse(await readFile(join(dir, 'configured', part, 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
  }
  const viewerCode = await readFile(join(dir, 'configured', 'viewer', 'index.js'), 'utf8');
  expect(viewerCode).toContain(FIREBASE_ISSUER); // baked in
  expect(viewerCode).not.toMatch(/require\(["']jose["']\)/); // bundled, not required at run time
  const originCode = await readFile(join(dir, 'configured', 'origin', 'index.js'), 'utf8');
  expect(originCode).toContain('/semaia/qa/user-proof-key');
  expect(originCode).not.toMatch(/require\(["']@aws-sdk/);
  // The key itself is never in the code: it is read at run time.
  expect(originCode).not.toContain(proofKey.toString('base64url'));
  const { viewer, origin } = configured;
  console.info(
    `edge bundles: viewer ${viewer.bytes} bytes (${viewer.gzipBytes} gzipped), ` +
      `origin ${origin.bytes} bytes (${origin.gzipBytes} gzipped)`,
  );
});

it('exports handler and verifies a token with the configuration baked in', async () => {
  const token = await signToken(key, firebaseClaims('bundled-user'));
  const out = await runBundle(
    join(dir, 'configured', 'viewer'),
    viewerRequest({ token, headers: structuredClone(SPOOFED_HEADERS) }),
  );
  expect(out.exports).toContain('handler');
  expect(out.result.headers['x-user-uid']).toEqual([{ key: 'X-User-Uid', value: 'bundled-user' }]);
  expect(
    Object.keys(out.result.headers).filter((k: string) => k.toLowerCase().startsWith('x-user-')),
  ).toEqual(['x-user-uid', 'x-user-email']);
  const refused = await runBundle(join(dir, 'configured', 'viewer'), viewerRequest({ token: `${token}x` }));
  expect(refused.result.status).toBe('401');
});

it('origin bundle: reads the proof key from SSM in us-east-1, signs the user, applies the baked limit', async () => {
  const env = {
    // What Lambda@Edge gives every function: the role's credentials (and, here only, the stand-in's URL).
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'eu-west-3',
    AWS_ENDPOINT_URL_SSM: ssm.url,
  };
  const headers = { 'x-user-uid': [{ key: 'X-User-Uid', value: 'bundled-user' }] };
  const body = { data: Buffer.from('{"a":1}').toString('base64') };
  const out = await runBundle(
    join(dir, 'configured', 'origin'),
    originRequest({ method: 'POST', headers, body, requestId: 'cf-1' }),
    env,
  );
  expect(out.exports).toContain('handler');
  const proof = out.result.headers['x-user-proof'][0].value;
  const now = Math.floor(Date.now() / 1000);
  expect(verifyUserProof(proofKey, { uid: 'bundled-user' }, proof, now)).toBe('valid');
  expect(ssm.calls).toEqual(['GetParameter /semaia/qa/user-proof-key']);
  expect(ssm.regions).toEqual(['us-east-1']); // where the parameter lives, whatever region serves the request

  const big = { data: Buffer.alloc(300_001, 'x').toString('base64') };
  const tooLarge = await runBundle(
    join(dir, 'configured', 'origin'),
    originRequest({ method: 'POST', body: big }),
  );
  expect(tooLarge.result.status).toBe('413');
});

it('without configuration: warns at build time and the bundle refuses every request', async () => {
  warnSpy.mockClear();
  const unconfigured = await buildEdge(join(dir, 'unconfigured'), { env: {} });
  expect(unconfigured.configured).toBe(false);
  expect(warnSpy).toHaveBeenCalledWith(expect.stringMatching(/not configured.*401/s));
  expect(unconfigured.viewer.sha256).not.toBe(configured.viewer.sha256);
  const token = await signToken(key, firebaseClaims());
  const out = await runBundle(join(dir, 'unconfigured', 'viewer'), viewerRequest({ token }));
  expect(out.exports).toContain('handler');
  expect(out.result).toMatchObject({ status: '401' });
}, 60_000);
