/**
 * The model routes' test bench: the real handler behind the shim (stores in dynalite), the scripted Gemini
 * server behind the real SDK, and a PostgreSQL database of the test's own. `close` stops all three and puts
 * back the environment the file started with.
 */
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { startTestApi, type TestApi } from './api.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface ModelApi {
  gemini: ScriptedGemini;
  api: TestApi;
  db: TestDatabase;
  /** Registers a connector for `url` as user-a and returns its id (throws unless the API answers 201). */
  addConnector(name: string, url: string): Promise<string>;
  close(): Promise<void>;
}

export async function startModelApi(database: string, env: Record<string, string> = {}): Promise<ModelApi> {
  const saved = { ...process.env };
  const gemini = await startScriptedGemini({ fallback: 'fail' });
  const db = await createTestDatabase(database);
  const api = await startTestApi({
    env: { GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url, MODEL_RETRY_BASE_MS: '20', ...env },
  });
  return {
    gemini,
    api,
    db,
    async addConnector(name, url) {
      const created = await api.request('POST', '/connectors', {
        body: { name, ...parsePostgresUrl(url, 'disable') },
      });
      if (created.status !== 201) throw new Error(`connector not created: ${created.status} ${created.text}`);
      return created.json.connector.id as string;
    },
    async close() {
      await api.close();
      await gemini.close();
      await db.drop();
      process.env = saved;
    },
  };
}
