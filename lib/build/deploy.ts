/**
 * `npm run deploy [-- --stage <name>] [--allow-closed-edge] [--param=name=value ...]` (stage also from env
 * STAGE, default dev):
 *   1. refuses to start when the EDGE_AUTH_* variables do not configure the edge authorizer, since the
 *      deployed edge would then refuse every user; `--allow-closed-edge` deploys anyway (a smoke deploy:
 *      health checks and preflights answer, everything else is 401);
 *   2. creates the stage's user-proof key in SSM when it is missing (lib/build/proof-key.ts);
 *   3. builds for the stage and runs `osls deploy` with the params given;
 *   4. with env SPA_DIR set, publishes that directory (lib/build/publish-spa.ts).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { resolveEdgeAuthConfig } from '../../edge/config.js';
import { EDGE_STACK_REGION } from '../../edge/config.js';
import { userProofKeyParamFor } from '../../edge/build.js';

export interface DeployPlan {
  stage: string;
  allowClosedEdge: boolean;
  /** Passed on to osls as they were given. */
  oslsArgs: string[];
  spaDir: string | undefined;
  proofKeyParam: string;
}

export class DeployRefused extends Error {}

export function planDeploy(argv: string[], env: NodeJS.ProcessEnv): DeployPlan {
  let stage = env.STAGE || 'dev';
  let allowClosedEdge = false;
  const oslsArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--stage' && argv[i + 1]) stage = argv[++i]!;
    else if (a === '--allow-closed-edge') allowClosedEdge = true;
    else if (/^--param=[A-Za-z0-9]+=/.test(a)) oslsArgs.push(a);
    else
      throw new DeployRefused(
        `unknown argument ${a} (use --stage <name>, --allow-closed-edge, --param=name=value)`,
      );
  }
  const auth = resolveEdgeAuthConfig(env);
  if (!auth.ok && !allowClosedEdge) {
    throw new DeployRefused(
      [
        'Refusing to deploy: the edge authorizer is not configured, so the deployed API would answer 401 to every user.',
        ...auth.problems.map((p) => `  - ${p}`),
        'Set them for your identity provider (docs/deployment.md, "Before the first deploy"), e.g.',
        '  EDGE_AUTH_ISSUER=https://securetoken.google.com/<project-id> EDGE_AUTH_AUDIENCE=<project-id> npm run deploy',
        'or, for a smoke deploy that only answers /api/health and preflights: npm run deploy -- --allow-closed-edge',
      ].join('\n'),
    );
  }
  return {
    stage,
    allowClosedEdge,
    oslsArgs,
    spaDir: env.SPA_DIR || undefined,
    proofKeyParam: userProofKeyParamFor(stage),
  };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const plan = planDeploy(process.argv.slice(2), process.env);
  if (plan.allowClosedEdge)
    console.warn('WARNING: --allow-closed-edge: the edge will refuse every user (401).');
  const { ensureProofKey } = await import('./proof-key.js');
  const key = await ensureProofKey(plan.proofKeyParam, EDGE_STACK_REGION);
  console.log(`user-proof key ${plan.proofKeyParam}: ${key}`);
  await run('npm', ['run', 'build', '--', '--stage', plan.stage]);
  const osls = resolve('node_modules', 'osls', 'bin', 'serverless.js');
  await run(process.execPath, [osls, 'deploy', '--stage', plan.stage, ...plan.oslsArgs]);
  if (plan.spaDir) {
    const { publishFromCli } = await import('./publish-spa.js');
    await publishFromCli([plan.spaDir, '--stage', plan.stage]);
  }
}

if (/[\\/]lib[\\/]build[\\/]deploy\.ts$/.test(process.argv[1] ?? '')) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
