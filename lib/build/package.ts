/**
 * `npm run package`: builds the bundles (`npm run build`), then runs `osls package` offline — dummy
 * credentials, us-east-1, no AWS account — which writes the CloudFormation template and the three zips to
 * `.serverless/`. Options: `--stage <name>` (or env STAGE, default dev), `--skip-build`,
 * `--param name=value` (repeatable, as for `osls deploy`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildEdge } from '../../edge/build.js';

export interface PackageOptions {
  /** Repository root (where serverless.yml is); defaults to the working directory. */
  root?: string;
  stage?: string;
  /** Run `npm run build` first (default true). */
  build?: boolean;
  /** serverless.yml params for this run (`--param="name=value"`). */
  params?: Record<string, string>;
  /** Where osls writes the template and zips (default `.serverless`). */
  outDir?: string;
  /** Where child output goes; 'inherit' for the CLI, 'pipe' to keep test output quiet. */
  stdio?: 'inherit' | 'pipe';
}

export interface PackageResult {
  /** Where osls wrote everything (template, zips, serverless-state.json). */
  outDir: string;
  templatePath: string;
  /** Zip files written by osls, with their sizes in bytes. */
  artifacts: Record<string, number>;
  /** Output of the child processes when stdio is 'pipe'. */
  log: string;
}

/** Environment for osls: no real credentials or profiles leak in, nothing can reach an account. */
export function offlineEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (/^AWS_/.test(name) || name === 'SERVERLESS_ACCESS_KEY' || name === 'SERVERLESS_LICENSE_KEY') continue;
    env[name] = value;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
}

export async function packageStack(options: PackageOptions = {}): Promise<PackageResult> {
  const root = resolve(options.root ?? process.cwd());
  const stage = options.stage ?? process.env.STAGE ?? 'dev';
  const stdio = options.stdio ?? 'inherit';
  if (!existsSync(join(root, 'serverless.yml'))) throw new Error(`no serverless.yml in ${root}`);
  let log = '';

  if (options.build !== false) {
    log += await run('npm', ['run', 'build', '--', '--stage', stage], { cwd: root, env: process.env, stdio });
  }
  const apiEntry = ['index.mjs', 'index.js']
    .map((f) => join(root, 'dist', 'api', f))
    .find((f) => existsSync(f));
  if (!apiEntry) throw new Error('dist/api/index.mjs is missing: run `npm run build` first');
  const edgeInfo = join(root, 'dist', 'edge', 'build-info.json');
  const built = existsSync(edgeInfo)
    ? (JSON.parse(await readFile(edgeInfo, 'utf8')) as { stage?: string })
    : {};
  if (built.stage !== stage) {
    // Missing, or built for another stage (whose proof-key parameter it names): build it for this one.
    await buildEdge(join(root, 'dist', 'edge'), { root, stage });
    log += `built dist/edge for stage ${stage}\n`;
  }

  const outDir = resolve(root, options.outDir ?? '.serverless');
  const osls = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
  const params = Object.entries(options.params ?? {}).map(([name, value]) => `--param=${name}=${value}`);
  log += await run(process.execPath, [osls, 'package', '--stage', stage, '--package', outDir, ...params], {
    cwd: root,
    env: offlineEnv(process.env),
    stdio,
  });

  const templatePath = join(outDir, 'cloudformation-template-update-stack.json');
  const template = JSON.parse(await readFile(templatePath, 'utf8')) as { Resources: Record<string, unknown> };
  const artifacts: Record<string, number> = {};
  for (const name of ['api.zip', 'edge.zip', 'edgeOrigin.zip'])
    artifacts[name] = (await stat(join(outDir, name))).size;
  if (stdio === 'inherit') {
    console.log(
      `Template: ${templatePath} (${Object.keys(template.Resources).length} resources); ` +
        Object.entries(artifacts)
          .map(([n, b]) => `${n} ${b} bytes`)
          .join(', '),
    );
  }
  return { outDir, templatePath, artifacts, log };
}

function run(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; stdio: 'inherit' | 'pipe' },
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', opts.stdio, opts.stdio],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${output.slice(-4000)}`));
    });
  });
}

function parseArgs(argv: string[]): PackageOptions {
  const options: PackageOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const param = /^--param=([A-Za-z0-9]+)=(.*)$/s.exec(argv[i]!);
    if (argv[i] === '--skip-build') options.build = false;
    else if (argv[i] === '--stage' && argv[i + 1]) options.stage = argv[++i];
    else if (param) options.params = { ...options.params, [param[1]!]: param[2]! };
    else
      throw new Error(`unknown argument ${argv[i]} (use --stage <name>, --skip-build, --param=name=value)`);
  }
  return options;
}

// Run as a script (`tsx lib/build/package.ts`); import.meta is off-limits in lib/, so look at argv.
if (/[\\/]lib[\\/]build[\\/]package\.ts$/.test(process.argv[1] ?? '')) {
  Promise.resolve()
    .then(() => packageStack(parseArgs(process.argv.slice(2))))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
}
