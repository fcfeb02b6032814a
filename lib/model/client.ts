/**
 * The Gemini client, created on first use. `@google/genai` is loaded by dynamic import so routes that never
 * talk to the model do not pay for it at cold start; the client is reused while the key and endpoint stay
 * the same (one per container, shared by concurrent invocations: it holds no per-request state).
 */
import type { GoogleGenAI } from '@google/genai';
import { config } from '../config.js';
import { AppError } from '../errors.js';
import { getGeminiApiKey } from '../secrets/gemini-key.js';

export interface ModelClient {
  ai: GoogleGenAI;
  /** Model name, e.g. `gemini-2.5-flash`. */
  model: string;
}

let cached: { apiKey: string; baseUrl: string | undefined; ai: GoogleGenAI } | undefined;

/**
 * The client, or 503 LlmNotConfigured when no key is set. Call it before an SSE stream starts, so the
 * client gets a proper status instead of a stream that fails.
 */
export async function getModelClient(): Promise<ModelClient> {
  let apiKey: string | undefined;
  try {
    apiKey = await getGeminiApiKey();
  } catch (err) {
    throw new AppError('LlmError', 'Could not read the Gemini API key', undefined, { cause: err });
  }
  if (!apiKey) {
    throw new AppError(
      'LlmNotConfigured',
      'The model is not configured: set GEMINI_API_KEY (or GEMINI_API_KEY_PARAM) to enable chats and explanations',
    );
  }
  const baseUrl = config.geminiBaseUrl;
  if (!cached || cached.apiKey !== apiKey || cached.baseUrl !== baseUrl) {
    const { GoogleGenAI } = await import('@google/genai');
    const ai = new GoogleGenAI({ apiKey, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) });
    cached = { apiKey, baseUrl, ai };
  }
  return { ai: cached.ai, model: config.geminiModel };
}
