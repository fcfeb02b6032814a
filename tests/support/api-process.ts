/**
 * `npm start` (lib/local/serve.ts) in a child process of its own, on a free port, against the test's own
 * embedded DynamoDB: for tests that must stop or kill the API process itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ApiProcess {
  url: string;
  /** Its DATA_DIR (a temp dir, removed when it exits). */
  dataDir: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, as Ctrl-C would (it stops its own services), then SIGKILL if it has not exited in 20 s. */
  stop(): Promise<void>;
}

export async function startApiProcess(env: Record<string, string>, args: string[] = []): Promise<ApiProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'semaia-api-process-'));
  // Reachable by other users, so that (as root) a sample PostgreSQL keeps its cluster here and goes with it.
  chmodSync(dataDir, 0o755);
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/serve.ts', ...args], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      SEMAIA_SAMPLE: 'off',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API process did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /API listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`the API process exited (${code}):\n${out}`)));
  });
  return {
    url,
    dataDir,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
