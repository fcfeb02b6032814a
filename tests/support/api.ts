/**
 * Starts the real handler behind the local shim on a loopback port, with an in-memory embedded DynamoDB,
 * for tests that go through real HTTP exactly as a browser or curl would.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamifyHandler } from 'aws-lambda';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { createShimServer } from '../../lib/local/shim-server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RequestOptions {
  /** The user id sent as x-user-uid; null sends none. Default 'user-a'. */
  user?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** The raw fetch, for streams. */
  fetch(method: string, path: string, options?: RequestOptions & { signal?: AbortSignal }): Promise<Response>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Environment for this test file (set before the handler loads). */
  env?: Record<string, string>;
  /** Start an in-memory DynamoDB (default true). */
  store?: boolean;
  /** A handler other than the API's (tests of the shim itself). */
  handler?: StreamifyHandler;
  timeoutMs?: number;
}

export async function startTestApi(options: StartOptions = {}): Promise<TestApi> {
  installLambdaGlobals();
  const dataDir = mkdtempSync(join(tmpdir(), 'semaia-test-'));
  Object.assign(
    process.env,
    { LOG_LEVEL: 'silent', DATA_DIR: dataDir, TABLE_NAME: 'semaia-test' },
    options.env,
  );

  let stopServices: (() => Promise<void>) | undefined;
  if (options.store !== false) {
    const { startLocalServices } = await import('../../lib/local/services.js');
    const services = await startLocalServices({ sample: false, inMemory: true });
    stopServices = services.stop;
  }
  const handler = options.handler ?? (await import('../../handlers/api.js')).handler;
  const server: Server = createShimServer({ handler, timeoutMs: options.timeoutMs ?? 60_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const doFetch: TestApi['fetch'] = (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const user = opts.user === undefined ? 'user-a' : opts.user;
    if (user !== null) headers['x-user-uid'] = user;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(url + path, { method, headers, body, signal: opts.signal });
  };

  return {
    url,
    fetch: doFetch,
    async request(method, path, opts) {
      const res = await doFetch(method, path, opts);
      const text = await res.text();
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopServices?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
