/**
 * Runs a function under the real runtime interface client (npm `aws-lambda-ric`, its native client built
 * by tests/runtime/prepare.sh) in a child process, with the environment Lambda gives a function, against a
 * Runtime API stand-in. Also tells which Node binaries the lane runs on.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = process.cwd(); // npm scripts and jest run from the checkout's root
const RIC_ENTRY = resolve(ROOT, 'node_modules/aws-lambda-ric/index.mjs');
const NODES_FILE = resolve(ROOT, '.tmp/runtime-lane/nodes.txt');

export interface NodeBinary {
  path: string;
  /** e.g. v22.23.3 */
  version: string;
}

/** The machine's Node and Node 22, as written by prepare.sh (the lane fails when it did not run). */
export function laneNodes(): NodeBinary[] {
  if (!existsSync(NODES_FILE)) {
    throw new Error(
      `${NODES_FILE} is missing: run the lane with \`npm run test:runtime\` (prepare.sh writes it)`,
    );
  }
  return readFileSync(NODES_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((path) => ({ path, version: versionOf(path) }));
}

function versionOf(path: string): string {
  const out = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  if (!/^v\d+\./.test(out)) throw new Error(`${path} --version printed ${JSON.stringify(out)}`);
  return out;
}

export interface RuntimeProcess {
  readonly pid: number;
  /** Everything the process wrote (stdout and stderr interleaved as they came). */
  output(): string;
  /** Open file descriptors of the runtime process (entries of /proc/<pid>/fd). */
  openFds(): number;
  /** Resident memory in KB (VmRSS). */
  rssKb(): number;
  /** Settles with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  node: NodeBinary;
  /** AWS_LAMBDA_RUNTIME_API (`host:port`). */
  runtimeApi: string;
  /** LAMBDA_TASK_ROOT: the directory holding the handler's module. */
  taskRoot: string;
  /** _HANDLER, e.g. `index.handler`. */
  handler: string;
  /** The function's own configuration (TABLE_NAME, ...). */
  env?: Record<string, string>;
}

/** The variables Lambda sets for every function (only these and `env` reach the process). */
function lambdaEnvironment(opts: RuntimeOptions): Record<string, string> {
  const major = opts.node.version.slice(1).split('.')[0];
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: opts.runtimeApi,
    LAMBDA_TASK_ROOT: opts.taskRoot,
    _HANDLER: opts.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${major}.x`,
    AWS_LAMBDA_FUNCTION_NAME: 'semaia-api-lane',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/semaia-api-lane',
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/01/[$LATEST]lane',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIALANE',
    AWS_SECRET_ACCESS_KEY: 'lane-secret',
    AWS_SESSION_TOKEN: 'lane-token',
    ...opts.env,
  };
}

export function startRuntime(opts: RuntimeOptions): RuntimeProcess {
  const child: ChildProcess = spawn(opts.node.path, [RIC_ENTRY], {
    cwd: opts.taskRoot,
    env: lambdaEnvironment(opts),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.node.path}`);
  return {
    pid,
    output: () => out,
    openFds: () => readdirSync(`/proc/${pid}/fd`).length,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
