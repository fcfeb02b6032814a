/**
 * The built API alone in its own process behind the local shim (tests/bench/serve-child.mjs), as one
 * Lambda container would hold it. It inherits this process's environment (store endpoint, model URL,
 * data dir), so it sees the same data and the same scripted model.
 */
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureBundles } from './bundles.js';

export interface ServeChild {
  url: string;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** The child's highest RSS and heap in use while `work` runs (sampled every 5 ms in the child). */
  peakRss(work: () => Promise<void>): Promise<{ rss: number; heapUsed: number }>;
  /** Bytes waiting in the buffers of its open client sockets. */
  queued(): Promise<{ bytes: number; sockets: number }>;
  stop(): Promise<void>;
}

/**
 * Starts the built API behind the shim in its own process (tests/bench/serve-child.mjs), on loopback TCP or,
 * with `socketPath`, on a Unix socket (whose small kernel buffers let a client that stops reading stall it).
 */
export async function startServeChild(opts: { socketPath?: string } = {}): Promise<ServeChild> {
  const bundles = await ensureBundles();
  const { LOG_LEVEL: _quiet, ...env } = process.env;
  const args = [bundles.runtime, bundles.shim, bundles.api, ...(opts.socketPath ? [opts.socketPath] : [])];
  const child = fork(resolve('tests/bench/serve-child.mjs'), args, {
    execArgv: ['--expose-gc'],
    env: { ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'], // its log lines go to /dev/null, as cheap as Lambda's
  });
  const nextMessage = <T>(key: string) =>
    new Promise<T>((resolveMsg, reject) => {
      const onExit = (code: number | null) => reject(new Error(`serve child exited with ${code}`));
      const onMessage = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolveMsg(m[key] as T);
        }
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const port = await nextMessage<number>('port');
  return {
    url: `http://127.0.0.1:${port}`,
    memory: () => {
      const p = nextMessage<NodeJS.MemoryUsage>('mem');
      child.send('mem');
      return p;
    },
    queued: () => {
      const p = nextMessage<{ bytes: number; sockets: number }>('queued');
      child.send('queued');
      return p;
    },
    peakRss: async (work) => {
      const started = nextMessage<boolean>('peakStarted');
      child.send('peak-start');
      await started;
      const failure = await work().then(
        () => undefined,
        (err: unknown) => ({ err }),
      );
      const peak = nextMessage<{ rss: number; heapUsed: number }>('peak');
      child.send('peak-stop');
      const value = await peak;
      if (failure) throw failure.err;
      return value;
    },
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.send('exit');
      }),
  };
}
