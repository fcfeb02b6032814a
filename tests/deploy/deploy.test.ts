/**
 * `npm run deploy`: it refuses to start without the edge authorizer's settings (before building or calling
 * AWS), `--allow-closed-edge` lets a smoke deploy through, and the stage's user-proof key is created in SSM
 * once (the real SSM client against a stand-in speaking its protocol) and never overwritten.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeployRefused, planDeploy } from '../../lib/build/deploy.js';
import { ensureProofKey } from '../../lib/build/proof-key.js';
import { decodeProofKey } from '../../lib/http/user-proof.js';
import { startSsmStandIn, type SsmStandIn } from '../support/ssm-stand-in.js';

const run = promisify(execFile);
let ssm: SsmStandIn;
const savedEnv = { ...process.env };

beforeAll(async () => {
  ssm = await startSsmStandIn();
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SSM: ssm.url,
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await ssm.close();
});

const FIREBASE = {
  EDGE_AUTH_ISSUER: 'https://securetoken.google.com/semaia-test',
  EDGE_AUTH_AUDIENCE: 'semaia-test',
};

it('`npm run deploy` without EDGE_AUTH_* stops at once with what to set, before building or calling AWS', async () => {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL_SSM: ssm.url,
  };
  const failure = await run('npm', ['run', 'deploy', '--', '--stage', 'smoke'], {
    env,
    timeout: 60_000,
  }).then(
    () => undefined,
    (err: { code: number; stderr: string; stdout: string }) => err,
  );
  expect(failure?.code).toBe(1);
  expect(failure?.stderr).toMatch(/Refusing to deploy: the edge authorizer is not configured/);
  expect(failure?.stderr).toMatch(/EDGE_AUTH_ISSUER is not set/);
  expect(failure?.stderr).toMatch(/--allow-closed-edge/);
  expect(failure?.stdout).not.toMatch(/dist\/api|Packaging|Deploying/);
  expect(ssm.calls).toEqual([]);
}, 90_000);

describe('planDeploy', () => {
  it('refuses a half-configured authorizer too', () => {
    expect(() => planDeploy([], { EDGE_AUTH_ISSUER: FIREBASE.EDGE_AUTH_ISSUER })).toThrow(DeployRefused);
    expect(() =>
      planDeploy([], { EDGE_AUTH_ISSUER: 'https://idp.example.com', EDGE_AUTH_AUDIENCE: 'a' }),
    ).toThrow(/EDGE_AUTH_JWKS_URL/);
  });

  it('lets a smoke deploy through with --allow-closed-edge', () => {
    expect(planDeploy(['--allow-closed-edge', '--stage', 'smoke'], {})).toMatchObject({
      stage: 'smoke',
      allowClosedEdge: true,
      proofKeyParam: '/semaia/smoke/user-proof-key',
    });
  });

  it('passes params on to osls and takes the stage and SPA_DIR from the environment', () => {
    const plan = planDeploy(['--param=wafRateLimit=500', '--param=reservedConcurrency=20'], {
      ...FIREBASE,
      STAGE: 'prod',
      SPA_DIR: 'web/dist',
    });
    expect(plan).toEqual({
      stage: 'prod',
      allowClosedEdge: false,
      oslsArgs: ['--param=wafRateLimit=500', '--param=reservedConcurrency=20'],
      spaDir: 'web/dist',
      proofKeyParam: '/semaia/prod/user-proof-key',
    });
    expect(() => planDeploy(['--force'], FIREBASE)).toThrow(/unknown argument --force/);
  });
});

describe('ensureProofKey', () => {
  it('creates a 256-bit SecureString once and never overwrites it', async () => {
    const name = '/semaia/qa/user-proof-key';
    expect(await ensureProofKey(name, 'us-east-1')).toBe('created');
    const stored = ssm.params.get(name)!;
    expect(stored.type).toBe('SecureString');
    expect(decodeProofKey(stored.value, name)).toHaveLength(32);
    expect(await ensureProofKey(name, 'us-east-1')).toBe('exists');
    expect(ssm.params.get(name)).toEqual(stored);
    // Two keys for two stages are different keys.
    await ensureProofKey('/semaia/qa2/user-proof-key', 'us-east-1');
    expect(ssm.params.get('/semaia/qa2/user-proof-key')!.value).not.toBe(stored.value);
  });
});
