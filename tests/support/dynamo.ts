/**
 * A private DynamoDB per test file: an in-memory dynalite through the real SDK, with its own table name and
 * DATA_DIR (a temp dir, where the local password key lands). Call `useDynamo()` at the top of a test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetLocalKeyCache } from '../../lib/crypto/local-key.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../lib/local/embedded-dynamo.js';
import { resetDocumentClient } from '../../lib/store/client.js';
import { ensureTable } from '../../lib/store/setup.js';

export interface TestDynamo {
  readonly endpoint: string;
  readonly dataDir: string;
  readonly tableName: string;
}

/** Points the store at a (possibly persisted) dynalite and makes sure the table exists. */
export async function connectStore(opts: { path?: string } = {}): Promise<EmbeddedDynamo> {
  const server = await startEmbeddedDynamo(opts);
  process.env.DYNAMODB_ENDPOINT = server.endpoint;
  resetDocumentClient();
  await ensureTable();
  return server;
}

export function useDynamo(): TestDynamo {
  let server: EmbeddedDynamo | undefined;
  const state = { endpoint: '', dataDir: '', tableName: '' };
  beforeAll(async () => {
    state.dataDir = mkdtempSync(join(tmpdir(), 'semaia-store-'));
    state.tableName = `semaia-test-${process.pid}-${Date.now()}`;
    process.env.DATA_DIR = state.dataDir;
    process.env.TABLE_NAME = state.tableName;
    delete process.env.KMS_KEY_ID;
    delete process.env.SEMAIA_SAMPLE_PG_URL;
    process.env.LOG_LEVEL ??= 'silent';
    resetLocalKeyCache();
    server = await connectStore();
    state.endpoint = server.endpoint;
  });
  afterAll(async () => {
    resetDocumentClient(); // drops keep-alive sockets so the server closes at once
    await server?.close();
    rmSync(state.dataDir, { recursive: true, force: true });
  });
  return state;
}
