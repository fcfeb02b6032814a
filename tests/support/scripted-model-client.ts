/**
 * For tests of lib/model: a scripted Gemini server for the test file and a model client (the real SDK)
 * pointed at it, reset before each test; the environment is restored afterwards. The returned object is
 * filled in by `beforeAll`, so read its fields inside tests.
 */
import { getModelClient, type ModelClient } from '../../lib/model/client.js';
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';

export function useScriptedModelClient(): { gemini: ScriptedGemini; client: ModelClient } {
  const model = {} as { gemini: ScriptedGemini; client: ModelClient };
  const saved = { ...process.env };

  beforeAll(async () => {
    model.gemini = await startScriptedGemini({ fallback: 'fail' });
    process.env.GEMINI_API_KEY = 'test-key';
    process.env.GEMINI_BASE_URL = model.gemini.url;
    process.env.MODEL_RETRY_BASE_MS = '20';
    model.client = await getModelClient();
  });
  afterAll(async () => {
    process.env = saved;
    await model.gemini.close();
  });
  beforeEach(() => model.gemini.reset());

  return model;
}
