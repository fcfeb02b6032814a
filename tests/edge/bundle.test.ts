/**
 * The built Lambda@Edge bundle, loaded by a plain Node process outside the repository (as Lambda would:
 * no node_modules, no TypeScript): it exports `handler`, carries the configuration baked in at build time,
 * and verifies a real token against the JWKS served here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildEdge, type EdgeBuildResult } from '../../edge/build.js';
import {
  FIREBASE_ISSUER,
  FIREBASE_PROJECT,
  firebaseClaims,
  makeKey,
  signToken,
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

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'semaia-edge-'));
  key = await makeKey('k1');
  jwks = await startJwksServer([key.jwk]);
  warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  configured = await buildEdge(join(dir, 'configured'), {
    env: {
      EDGE_AUTH_ISSUER: FIREBASE_ISSUER,
      EDGE_AUTH_AUDIENCE: FIREBASE_PROJECT,
      EDGE_AUTH_JWKS_URL: jwks.url,
    },
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
  await rm(dir, { recursive: true, force: true });
});

async function runBundle(bundleDir: string, event: unknown) {
  const child = run(process.execPath, [join(dir, 'run.cjs'), join(bundleDir, 'index.js')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    timeout: 15_000,
  });
  child.child.stdin!.end(JSON.stringify(event));
  const { stdout } = await child;
  // The bundle logs refusals as JSON lines before the runner's result line.
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { exports: string[]; result: any };
}

it('builds one small CommonJS file within the Lambda@Edge viewer-request size limit', async () => {
  expect(configured.configured).toBe(true);
  expect(configured.gzipBytes).toBeLessThan(1024 * 1024);
  expect(configured.bytes).toBeLessThan(1024 * 1024);
  const info = JSON.parse(
    await readFile(join(dir, 'configured', 'build-info.json'), 'utf8'),
  ) as EdgeBuildResult;
  expect(info).toEqual(configured);
  expect(JSON.parse(await readFile(join(dir, 'configured', 'package.json'), 'utf8'))).toEqual({
    type: 'commonjs',
  });
  const code = await readFile(join(dir, 'configured', 'index.js'), 'utf8');
  expect(code).toContain(FIREBASE_ISSUER); // baked in
  expect(code).not.toMatch(/require\(["']jose["']\)/); // bundled, not required at run time
  console.info(`edge bundle: ${configured.bytes} bytes, ${configured.gzipBytes} bytes gzipped`);
});

it('exports handler and verifies a token with the configuration baked in', async () => {
  const token = await signToken(key, firebaseClaims('bundled-user'));
  const out = await runBundle(
    join(dir, 'configured'),
    viewerRequest({ token, headers: structuredClone(SPOOFED_HEADERS) }),
  );
  expect(out.exports).toContain('handler');
  expect(out.result.headers['x-user-uid']).toEqual([{ key: 'X-User-Uid', value: 'bundled-user' }]);
  expect(
    Object.keys(out.result.headers).filter((k: string) => k.toLowerCase().startsWith('x-user-')),
  ).toEqual(['x-user-uid', 'x-user-email']);
  const refused = await runBundle(join(dir, 'configured'), viewerRequest({ token: `${token}x` }));
  expect(refused.result.status).toBe('401');
});

it('without configuration: warns at build time and the bundle refuses every request', async () => {
  warnSpy.mockClear();
  const unconfigured = await buildEdge(join(dir, 'unconfigured'), { env: {} });
  expect(unconfigured.configured).toBe(false);
  expect(warnSpy).toHaveBeenCalledWith(expect.stringMatching(/not configured.*401/s));
  expect(unconfigured.sha256).not.toBe(configured.sha256);
  const token = await signToken(key, firebaseClaims());
  const out = await runBundle(join(dir, 'unconfigured'), viewerRequest({ token }));
  expect(out.exports).toContain('handler');
  expect(out.result).toMatchObject({ status: '401' });
}, 60_000);
