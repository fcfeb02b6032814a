/** Runs a fresh `node` process and measures its wall time from spawn to exit (performance.now()). */
import { spawn } from 'node:child_process';

export interface TimedRun {
  ms: number;
  code: number | null;
  /** Last JSON line the child printed on stderr, if any. */
  report?: Record<string, unknown>;
  stderr: string;
}

export function runTimed(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30_000,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // stdout (the function's log lines) goes to /dev/null, as cheap as Lambda's log capture gets.
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      const last = stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      let report: Record<string, unknown> | undefined;
      try {
        report = last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ ms, code, report, stderr });
    });
  });
}
