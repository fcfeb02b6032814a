/**
 * Every environment variable the backend reads, declared once: its parser (what it accepts), its default and
 * what it is for. lib/config.ts turns these into typed getters and checks them all at start; the table in
 * docs/configuration.md is generated from this list (`npm run docs`), so the two cannot drift.
 */
import { boolean, httpUrl, integer, limit, matching, oneOf, text, type Parser } from './parsers.js';

export type Scope = 'all' | 'local' | 'lambda';

export interface Setting<T> {
  env: string;
  parser: Parser<T>;
  /** The value when the variable is unset or empty; a function when it depends on where the code runs. */
  fallback: T | ((env: { inLambda: boolean }) => T);
  /** How the default reads in the docs, when it is not a plain value. */
  fallbackDoc?: string;
  doc: string;
  scope: Scope;
  /** Never printed (errors say only that it is set). */
  secret?: boolean;
}

const setting = <T>(
  env: string,
  parser: Parser<T>,
  fallback: Setting<T>['fallback'],
  doc: string,
  extra: Partial<Pick<Setting<T>, 'fallbackDoc' | 'scope' | 'secret'>> = {},
): Setting<T> => ({ env, parser, fallback, doc, scope: extra.scope ?? 'all', ...extra });

const optional = <T>(
  env: string,
  parser: Parser<T>,
  doc: string,
  extra: Partial<Pick<Setting<T>, 'scope' | 'secret'>> = {},
): Setting<T | undefined> => setting<T | undefined>(env, parser, undefined, doc, extra);

const NETWORKS: Parser<string> = matching(
  /^(public|any|([0-9a-f:.]+\/\d{1,3})(\s*,\s*[0-9a-f:.]+\/\d{1,3})*)$/i,
  '"public", "any", or a comma-separated list of CIDRs (10.0.0.0/8, fd00::/8)',
);

export const SETTINGS = {
  // ---- storage
  tableName: setting(
    'TABLE_NAME',
    matching(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name'),
    'semaia',
    'the DynamoDB table',
  ),
  dynamoEndpoint: optional(
    'DYNAMODB_ENDPOINT',
    httpUrl,
    'a DynamoDB-compatible server to use instead of the embedded one (local only)',
    { scope: 'local' },
  ),
  dataDirRaw: setting(
    'DATA_DIR',
    text,
    '.data',
    'local data: `dynamodb/`, `postgres/`, the local password key',
    {
      scope: 'local',
    },
  ),
  kmsKeyId: optional(
    'KMS_KEY_ID',
    text,
    'KMS key for connector passwords (required in Lambda to store passwords)',
  ),
  kmsEndpoint: optional('KMS_ENDPOINT', httpUrl, 'KMS endpoint override (tests)'),

  // ---- the model
  geminiApiKey: optional('GEMINI_API_KEY', text, 'the Gemini key; without it chats and explain answer 503', {
    secret: true,
  }),
  geminiApiKeyParam: optional(
    'GEMINI_API_KEY_PARAM',
    matching(/^\/[A-Za-z0-9_.\-/]+$/, 'an SSM parameter name starting with "/"'),
    'name of an SSM SecureString holding the Gemini key (the cloud way)',
  ),
  geminiModel: setting(
    'GEMINI_MODEL',
    matching(/^[A-Za-z0-9_.-]+$/, 'a model id such as gemini-2.5-flash'),
    'gemini-2.5-flash',
    'model id',
  ),
  ssmEndpoint: optional('SSM_ENDPOINT', httpUrl, 'SSM endpoint override (tests)'),
  geminiBaseUrl: optional('GEMINI_BASE_URL', httpUrl, 'Gemini endpoint override (e.g. the scripted model)'),
  modelMaxOutputTokens: setting(
    'MODEL_MAX_OUTPUT_TOKENS',
    integer(1, 65_536),
    8_192,
    '`maxOutputTokens` of each model call (2.5 models count thinking tokens in it)',
  ),
  modelMaxReplyChars: setting(
    'MODEL_MAX_REPLY_CHARS',
    integer(100, 50_000),
    24_000,
    'characters of one reply',
  ),
  modelDeadlineMarginMs: setting(
    'MODEL_DEADLINE_MARGIN_MS',
    integer(0, 60_000),
    5_000,
    "a reply stops this long before the function's deadline, leaving time to store it",
  ),
  modelRetryBaseMs: setting(
    'MODEL_RETRY_BASE_MS',
    integer(0, 10_000),
    250,
    'first backoff for a 429/5xx before the first token (then 4×, jittered)',
  ),

  replyLeaseMs: setting(
    'REPLY_LEASE_MS',
    integer(1_000, 300_000),
    30_000,
    'a streaming reply whose writer stops checkpointing for this long reads as interrupted (renewed every third of it)',
  ),

  // ---- users' databases
  statementTimeoutMs: setting(
    'SQL_STATEMENT_TIMEOUT_MS',
    integer(100, 120_000),
    15_000,
    'statement timeout of user and model SQL',
  ),
  sqlMaxResultBytes: setting(
    'SQL_MAX_RESULT_BYTES',
    integer(1_024, 32 * 1024 * 1024),
    8 * 1024 * 1024,
    "bytes of rows (their JSON) one query reads for a reply or a chat's `run_sql`; a request's `maxBytes` may go up to 32 MiB",
  ),
  sqlMaxRowBytes: setting(
    'SQL_MAX_ROW_BYTES',
    integer(1_024, 1024 * 1024 * 1024),
    32 * 1024 * 1024,
    'largest row accepted from a database, checked before the row is buffered (a larger one answers 400)',
  ),
  csvMaxRows: setting('CSV_MAX_ROWS', integer(1, 100_000_000), 1_000_000, 'rows of one CSV or NDJSON export'),
  sqlExportTimeoutMs: setting(
    'SQL_EXPORT_TIMEOUT_MS',
    integer(1_000, 900_000),
    120_000,
    "time limit of one CSV or NDJSON export (within the function's remaining time)",
  ),
  connectorAllowedNetworks: setting(
    'CONNECTOR_ALLOWED_NETWORKS',
    NETWORKS,
    ({ inLambda }) => (inLambda ? 'public' : 'any'),
    'which addresses connector hosts may resolve to',
    {
      fallbackDoc: '`any` locally, `public` in Lambda',
    },
  ),
  connectorAllowPrivilegedRoles: setting(
    'CONNECTOR_ALLOW_PRIVILEGED_ROLES',
    boolean,
    false,
    "run the user's own `/query` and `/inspect` on a role with server-level privileges (superuser, replication, server files or programs, signalling, checkpoints); the model's tools never do",
  ),
  connectorCaBundle: optional(
    'CONNECTOR_CA_BUNDLE',
    text,
    'path of a PEM file of CA certificates trusted for `ssl: "verify-full"` besides Node\'s (e.g. Amazon RDS\'s bundle); read once per container',
  ),

  // ---- HTTP and streams
  heartbeatMs: setting(
    'SSE_HEARTBEAT_MS',
    integer(0, 55_000),
    15_000,
    "SSE heartbeat comment interval (0 = off); must stay under CloudFront's 60 s read timeout",
  ),
  originReadTimeoutMs: setting(
    'ORIGIN_READ_TIMEOUT_MS',
    integer(1_000, 180_000),
    55_000,
    "a JSON answer that cannot finish within this fails fast (CloudFront's origin read timeout, less a margin)",
  ),
  sseWriteTimeoutMs: setting(
    'SSE_WRITE_TIMEOUT_MS',
    integer(100, 900_000),
    30_000,
    'a response write not drained by then marks the client gone: an SSE stream drops its later events (a reply is still generated and stored), a streamed query result or export stops',
  ),
  maxBodyBytes: setting(
    'MAX_BODY_BYTES',
    integer(1_024, 6 * 1024 * 1024),
    1024 * 1024,
    "largest request body; also baked into the edge at build time (it hashes bodies up to 1 MiB, larger ones need the client's own `x-amz-content-sha256`) and passed to the function by the template",
  ),
  userProofKeyParam: optional(
    'USER_PROOF_KEY_PARAM',
    matching(/^\/[A-Za-z0-9_.\-/]+$/, 'an SSM parameter name starting with "/"'),
    "SSM SecureString holding the edge's HMAC key; when set, `x-user-*` headers count only with a valid `x-user-proof` (the cloud way)",
  ),
  logLevel: setting(
    'LOG_LEVEL',
    oneOf('silent', 'error', 'warn', 'info', 'debug'),
    () => lambdaLogLevel() ?? 'info',
    'lowest level written (`silent` writes nothing)',
    { fallbackDoc: "Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`" },
  ),

  // ---- per-user limits (OWASP API4): 0 turns a limit off; docs/api.md "Limits" explains each one
  streamsPerUser: setting(
    'LIMIT_STREAMS_PER_USER',
    limit(1_000),
    3,
    'chat and explain requests (they call the model) one user may have running at once',
  ),
  followStreamsPerUser: setting(
    'LIMIT_FOLLOW_STREAMS_PER_USER',
    limit(1_000),
    10,
    'event streams of stored replies (`GET …/events`, idempotent retries: no model call) one user may have open at once',
  ),
  modelTokensPerDay: setting(
    'LIMIT_MODEL_TOKENS_PER_DAY',
    limit(),
    500_000,
    "model tokens (Gemini's `usageMetadata`: prompt, output and thinking) one user may spend per UTC day; checked before each model request",
  ),
  sqlRequestsPerMinute: setting(
    'LIMIT_SQL_REQUESTS_PER_MINUTE',
    limit(1_000_000),
    120,
    '`/query`, `/inspect` and `/explain` requests per user per clock minute (UTC)',
  ),
  sqlConcurrentPerConnector: setting(
    'LIMIT_SQL_CONCURRENT_PER_CONNECTOR',
    limit(1_000),
    5,
    "SQL statements running at once on one connector, the model's `run_sql` included (protects the user's own database)",
  ),
  connectorsPerUser: setting(
    'LIMIT_CONNECTORS_PER_USER',
    limit(1_000_000),
    100,
    'connectors one user may have',
  ),

  // ---- local development (npm start, npm run invoke)
  host: setting('HOST', text, '127.0.0.1', 'where `npm start` listens', { scope: 'local' }),
  port: setting('PORT', integer(0, 65_535), 8_080, 'port of `npm start`', { scope: 'local' }),
  lambdaTimeoutMs: setting(
    'LAMBDA_TIMEOUT_MS',
    integer(1_000, 900_000),
    900_000,
    "the shim's emulated function timeout",
    {
      scope: 'local',
    },
  ),
  sample: setting(
    'SEMAIA_SAMPLE',
    oneOf('on', 'off'),
    'on',
    '`off`: `npm start` without the sample PostgreSQL',
    {
      scope: 'local',
    },
  ),
  scriptedModel: setting('SEMAIA_SCRIPTED_MODEL', boolean, false, 'same as `npm start -- --scripted-model`', {
    scope: 'local',
  }),
  scriptedModelDelayMs: setting(
    'SCRIPTED_GEMINI_DELAY_MS',
    integer(0, 10_000),
    25,
    "the scripted model's pause between words",
    { scope: 'local' },
  ),
  shutdownGraceMs: setting(
    'SHUTDOWN_GRACE_MS',
    integer(0, 120_000),
    10_000,
    'at Ctrl-C, how long replies in flight may finish before they are stopped and stored as incomplete',
    { scope: 'local' },
  ),
  samplePgUrlRaw: optional(
    'SEMAIA_SAMPLE_PG_URL',
    matching(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
    'set by `npm start` for the sample connector (internal)',
    { scope: 'local' },
  ),
};

/** Lambda's own log level setting (advanced logging controls), mapped onto ours. */
function lambdaLogLevel(): 'error' | 'warn' | 'info' | 'debug' | undefined {
  const v = (process.env.AWS_LAMBDA_LOG_LEVEL ?? '').toUpperCase();
  if (v === 'TRACE' || v === 'DEBUG') return 'debug';
  if (v === 'INFO') return 'info';
  if (v === 'WARN') return 'warn';
  if (v === 'ERROR' || v === 'FATAL') return 'error';
  return undefined;
}
