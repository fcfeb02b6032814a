/**
 * `--scripted-model` (or SEMAIA_SCRIPTED_MODEL=true) for local runs: starts the scripted Gemini server and
 * points the configuration at it, so chats and explain work with no key.
 */
import { config } from '../config.js';

export interface ScriptedModel {
  url: string;
  close(): Promise<void>;
}

export async function startScriptedModelIfAsked(argv: string[]): Promise<ScriptedModel | undefined> {
  if (!argv.includes('--scripted-model') && !config.scriptedModel) return undefined;
  const { startScriptedGemini } = await import('./scripted-gemini/server.js');
  const model = await startScriptedGemini();
  process.env.GEMINI_API_KEY = 'scripted-model';
  process.env.GEMINI_BASE_URL = model.url;
  return model;
}
