/**
 * The Gemini API key. Locally it comes from GEMINI_API_KEY; in the cloud the template holds only the name
 * of an SSM SecureString parameter (GEMINI_API_KEY_PARAM), read once per container on first use, so the
 * key is never in the template or the function's configuration.
 */
import { config } from '../config.js';
import { cachedLoader, readParameter } from './ssm-parameter.js';

let load: (() => Promise<string | undefined>) | undefined;

export function getGeminiApiKey(): Promise<string | undefined> {
  const fromEnv = config.geminiApiKey;
  if (fromEnv) return Promise.resolve(fromEnv);
  const param = config.geminiApiKeyParam;
  if (!param) return Promise.resolve(undefined);
  // Kept for the container's life; a failed read is not kept (a transient SSM failure must not stick).
  load ??= cachedLoader(
    () => readParameter(param, { region: config.region, endpoint: config.ssmEndpoint }),
    Infinity,
  );
  return load();
}
