/**
 * Jest global setup: one PostgreSQL server for the whole run. With PG_URL set, that server is used as is;
 * otherwise an embedded PostgreSQL starts in a temporary directory. Either way test files read a superuser
 * URL from TEST_PG_URL (workers inherit the variable) and create their own database with createTestDatabase.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Jest loads global setup outside its module map (no `.js` → `.ts` mapping), so require the module without suffix.
type EmbeddedPostgresModule = typeof import('../../lib/local/embedded-postgres.js');
const loadEmbedded = (): EmbeddedPostgresModule =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../lib/local/embedded-postgres') as EmbeddedPostgresModule;

export interface GlobalPostgres {
  stop(): Promise<void>;
}

declare global {
  var __semaiaTestPostgres: GlobalPostgres | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Tests run on Node 20 here (the function deploys on 22+): the SDK's version notice is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.PG_URL) {
    process.env.TEST_PG_URL = process.env.PG_URL;
    process.env.TEST_PG_EMBEDDED = '';
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'semaia-test-pg-'));
  try {
    const server = await loadEmbedded().startEmbeddedPostgres({
      dir,
      password: 'semaia-test',
      persistent: false,
    });
    process.env.TEST_PG_URL = server.url;
    process.env.TEST_PG_EMBEDDED = '1';
    globalThis.__semaiaTestPostgres = {
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
