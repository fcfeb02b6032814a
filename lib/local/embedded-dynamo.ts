/**
 * The embedded DynamoDB (dynalite) for local runs and tests. dynalite is a devDependency: only lib/local
 * and tests import this module, never a Lambda code path.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error -- dynalite ships no type declarations; its factory returns a node:http Server.
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 (random port), persisted under `path` when given, in memory otherwise. */
export async function startEmbeddedDynamo(opts: { path?: string } = {}): Promise<EmbeddedDynamo> {
  if (opts.path) mkdirSync(opts.path, { recursive: true, mode: 0o700 });
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(opts.path ? { path: opts.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // dynalite's close also closes its LevelDB, so a later start on the same path can open it.
        server.close((err?: Error) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // SDK keep-alive sockets would otherwise hold the close open
      }),
  };
}
