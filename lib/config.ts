/**
 * Configuration from the environment, read when asked (not at import) so tests and the local shim can set
 * variables before first use. Defaults are the local ones; Lambda is detected by its own variables.
 */
import { resolve } from 'node:path';

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

const intEnv = (name: string, fallback: number): number => {
  const v = env(name);
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

export const config = {
  /** True inside AWS Lambda (never create tables, never start embedded services, no sample connector). */
  get inLambda(): boolean {
    return env('AWS_LAMBDA_FUNCTION_NAME') !== undefined && env('SEMAIA_LOCAL') === undefined;
  },
  get tableName(): string {
    return env('TABLE_NAME') ?? 'semaia';
  },
  get dynamoEndpoint(): string | undefined {
    return env('DYNAMODB_ENDPOINT');
  },
  get region(): string {
    return env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1';
  },
  get dataDir(): string {
    return resolve(env('DATA_DIR') ?? '.data');
  },
  get kmsKeyId(): string | undefined {
    return env('KMS_KEY_ID');
  },
  /** KMS endpoint override (tests point it at a local KMS stand-in); unset means the regional endpoint. */
  get kmsEndpoint(): string | undefined {
    return env('KMS_ENDPOINT');
  },
  /** Milliseconds between SSE heartbeat comments. */
  get heartbeatMs(): number {
    return intEnv('SSE_HEARTBEAT_MS', 15_000);
  },
  /** Largest accepted request body, in bytes. */
  get maxBodyBytes(): number {
    return intEnv('MAX_BODY_BYTES', 256 * 1024);
  },
  /** Connection string of the local sample database (set by the local shim), if any. */
  get samplePgUrl(): string | undefined {
    return this.inLambda ? undefined : env('SEMAIA_SAMPLE_PG_URL');
  },
  get geminiApiKey(): string | undefined {
    return env('GEMINI_API_KEY');
  },
  get geminiModel(): string {
    return env('GEMINI_MODEL') ?? 'gemini-2.5-flash';
  },
  get geminiBaseUrl(): string | undefined {
    return env('GEMINI_BASE_URL');
  },
  /** `public`, `any`, or a comma-separated list of CIDRs allowed besides public addresses. */
  get connectorAllowedNetworks(): string {
    return env('CONNECTOR_ALLOWED_NETWORKS') ?? (this.inLambda ? 'public' : 'any');
  },
  get statementTimeoutMs(): number {
    return Math.min(intEnv('SQL_STATEMENT_TIMEOUT_MS', 15_000), 120_000);
  },
  /** Model replies stop this long before the function's deadline, leaving time to store what exists. */
  get modelDeadlineMarginMs(): number {
    return intEnv('MODEL_DEADLINE_MARGIN_MS', 5_000);
  },
  /** `maxOutputTokens` sent to the model for each reply (2.5 models count their thinking tokens in it). */
  get modelMaxOutputTokens(): number {
    return intEnv('MODEL_MAX_OUTPUT_TOKENS', 8_192);
  },
  /** Cap on the characters of one streamed reply (a second bound next to the token limit). */
  get modelMaxReplyChars(): number {
    return intEnv('MODEL_MAX_REPLY_CHARS', 24_000);
  },
  /** First retry delay (ms) for a 429/5xx before the first token; the next one is 4× (both jittered). */
  get modelRetryBaseMs(): number {
    return intEnv('MODEL_RETRY_BASE_MS', 250);
  },
};
