/** The scripted Gemini server's public types: what tests queue, and what it records of each request. */

/** One Gemini `Part` as JSON (text, functionCall, thoughtSignature...). */
export type GeminiPart = Record<string, unknown>;

/** What one streamed chunk carries. A bare string is a text part. */
export type ScriptChunk =
  | string
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { functionCall: { name: string; args?: Record<string, unknown>; id?: string }; thoughtSignature?: string }
  | { parts: GeminiPart[] }
  | { finishReason: string }
  /** An error object inside the stream (the SDK raises ApiError with this code). */
  | { error: { code: number; message: string; status?: string } };

export interface ScriptedTurn {
  /** Chunks streamed in order; a `STOP` finish reason is added to the last one unless one is given. */
  chunks?: ScriptChunk[];
  /** Answer with this HTTP error status (e.g. 429, 500, 503) instead of a stream. */
  status?: number;
  /** Message inside the error body for `status`. */
  message?: string;
  /** `Retry-After` header (seconds) sent with `status`. */
  retryAfter?: number;
  /** Milliseconds to wait before each chunk (also before the first one). */
  delayMs?: number;
  /** Destroy the socket after this many chunks were written (a broken stream). */
  breakAfter?: number;
  /** Send the headers, then nothing, forever (until the client aborts or the server closes). */
  hang?: boolean;
  /** The last chunk's `usageMetadata` (default: about 4 characters a token of the request and of the reply). */
  usage?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Model name from the path, e.g. `gemini-2.5-flash`. */
  model: string;
  /** `streamGenerateContent` or `generateContent` (or whatever else was called). */
  action: string;
  headers: Record<string, string | string[] | undefined>;
  body: GenerateContentBody;
}

/** The request body fields the SDK sends, as plain JSON. */
export interface GenerateContentBody {
  contents?: { role?: string; parts?: GeminiPart[] }[];
  systemInstruction?: { role?: string; parts?: GeminiPart[] };
  generationConfig?: Record<string, unknown>;
  tools?: { functionDeclarations?: { name: string; description?: string }[] }[];
  toolConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ScriptedGeminiOptions {
  port?: number;
  host?: string;
  /** What to do when no turn is queued: `echo` (default, friendly replies) or `fail` (HTTP 500, for tests). */
  fallback?: 'echo' | 'fail';
  /** Milliseconds between words of the default replies (default SCRIPTED_GEMINI_DELAY_MS or 25: a visible pace for UI work). */
  echoDelayMs?: number;
  /** Log one line per request on stderr. */
  verbose?: boolean;
}

export interface ScriptedGemini {
  /** Base URL to hand to the SDK (`httpOptions.baseUrl` / GEMINI_BASE_URL). */
  url: string;
  /** Every model request received, oldest first. */
  requests: ReceivedRequest[];
  /** Queues turns; each model request consumes the oldest one. */
  script(...turns: ScriptedTurn[]): void;
  /** Turns still queued. */
  pending(): number;
  /** Stream chunks written so far (all requests): lets a test see that a token arrived before the rest was sent. */
  chunksSent(): number;
  /** Drops queued turns and recorded requests (between tests). */
  reset(): void;
  close(): Promise<void>;
}
